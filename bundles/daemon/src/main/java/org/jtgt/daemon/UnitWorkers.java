package org.jtgt.daemon;

import java.util.concurrent.TimeUnit;

import org.jtgt.api.transport.DeferredDelivery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker threads of one logical unit whose backing store blocks (a file: Linux tgt's
 * {@code bs_rdwr} threads). A thread that delivers events never waits for such a store: it
 * queues the task here and goes on, so a slow unit delays only its own commands.
 *
 * <p>The queue is a FIFO linked through the tasks themselves ({@code queueNext},
 * {@code queuePrev}): queueing allocates nothing and task management can take a task that has
 * not started out of it ({@link #cancel}). Threads start when work finds none idle, up to
 * {@link #maxThreads}, and end after {@link #IDLE_SECONDS} without work, so a unit nobody uses
 * holds no thread.
 */
final class UnitWorkers {
    private static final Logger LOG = LoggerFactory.getLogger(UnitWorkers.class);
    static final int IDLE_SECONDS = 30;
    /** Default threads per unit: Linux tgt runs 16 per LUN; half as many serve 2 to 8 cores. */
    static final int DEFAULT_THREADS = 8;
    static final int MAX_THREADS = 256;

    private final String name;
    private final int maxThreads;
    /**
     * Guards the queue and the counts. A monitor rather than a {@code ReentrantLock}: waiting on
     * a {@code Condition} allocates a node per wait, which the idle workers would do per task.
     */
    private final Object lock = new Object();
    private CommandContext head;
    private CommandContext tail;
    private int threads;
    private int idle;
    private int queuedCount;
    private int started;
    private boolean closed;
    /** READs are tried on the delivering thread first ({@link TaskRouter#start}); off by {@code jtgt.store.readNow=false}. */
    private volatile boolean readNow = true;
    /**
     * Tasks run on a delivering thread that hands its roles over ({@link TaskRouter#start});
     * off by {@code jtgt.store.handOff=false}.
     */
    private volatile boolean handOff = true;

    UnitWorkers(String name, int maxThreads) {
        if (maxThreads < 1 || maxThreads > MAX_THREADS) {
            throw new IllegalArgumentException("store threads per logical unit must be 1 to " + MAX_THREADS + ", not " + maxThreads);
        }
        this.name = name;
        this.maxThreads = maxThreads;
    }

    boolean readNow() {
        return readNow;
    }

    void readNow(boolean on) {
        readNow = on;
    }

    boolean handOff() {
        return handOff;
    }

    void handOff(boolean on) {
        handOff = on;
    }

    /** Queues an enabled task; a worker runs it through its router ({@link TaskRouter#runTask}). */
    void submit(CommandContext c) {
        boolean startThread = false;
        synchronized (lock) {
            c.queueNext = null;
            c.queuePrev = tail;
            if (tail == null) {
                head = c;
            } else {
                tail.queueNext = c;
            }
            tail = c;
            c.queued = true;
            queuedCount++;
            if (idle > 0) {
                lock.notify();
            }
            if (queuedCount > idle && threads < maxThreads) {
                threads++;
                started++;
                startThread = true;
            }
        }
        if (startThread) {
            Thread t = new Thread(this::loop, "jtgt-" + name + "-" + started);
            t.setDaemon(true);
            t.start();
        }
    }

    /** Takes a task that no worker has started out of the queue; false if one has. */
    boolean cancel(CommandContext c) {
        synchronized (lock) {
            if (!c.queued) {
                return false;
            }
            unlink(c);
            return true;
        }
    }

    private void unlink(CommandContext c) {
        if (c.queuePrev == null) {
            head = c.queueNext;
        } else {
            c.queuePrev.queueNext = c.queueNext;
        }
        if (c.queueNext == null) {
            tail = c.queuePrev;
        } else {
            c.queueNext.queuePrev = c.queuePrev;
        }
        c.queueNext = null;
        c.queuePrev = null;
        c.queued = false;
        queuedCount--;
    }

    private void loop() {
        // Events this thread queues from inside the daemon (the KEVENT_CMD_DONE of an answer
        // delivered beneath its own send, with the in-process transport) are delivered here,
        // between two tasks, instead of by a transport thread woken for each.
        DeferredDelivery.owedHere(true);
        try {
            work();
        } finally {
            DeferredDelivery.owedHere(false);
        }
    }

    private void work() {
        while (true) {
            CommandContext c;
            synchronized (lock) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(IDLE_SECONDS);
                while (head == null) {
                    long left = deadline - System.nanoTime();
                    if (closed || left <= 0) {
                        threads--;
                        return;
                    }
                    idle++;
                    try {
                        lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                    } catch (InterruptedException e) {
                        deadline = 0;
                    } finally {
                        idle--;
                    }
                }
                c = head;
                unlink(c);
            }
            try {
                c.router.runTask(c);
            } catch (RuntimeException | Error e) {
                LOG.error("{}: a store worker failed outside its task", name, e);
            }
            try {
                DeferredDelivery.deliverOwed();
            } catch (RuntimeException e) {
                LOG.error("{}: delivering what a store worker queued failed", name, e);
            }
        }
    }

    /**
     * Lets the threads end once the queue is empty (the unit is being removed). Tasks that
     * were admitted before still run: a later submit starts a thread again if none is left.
     */
    void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
    }
}
