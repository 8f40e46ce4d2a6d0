package org.jtgt.daemon;

import org.jtgt.api.event.TaskAttribute;

/**
 * The task set of one logical unit (SAM-5 8.6 to 8.9; the Control mode page reports TST 000b:
 * one task set shared by every I_T nexus). Every task addressed to the unit is in it from the
 * moment the task router accepts it until its answer has been sent; the set decides when a task
 * may start (its task attribute) and lets task management find the tasks it ends.
 *
 * <p>A task is <em>dormant</em> (waiting for its attribute's condition), <em>enabled</em>
 * (started: queued for the unit's store workers, running, or waiting for its store to complete
 * it), or <em>answering</em> (its response is being sent; task management can no longer abort
 * it, only wait until it has left). The attributes:
 * <ul>
 * <li>SIMPLE: enabled when no older ORDERED or HEAD OF QUEUE task is enabled and no older task
 *     is dormant (so a SIMPLE task never passes an ORDERED one).</li>
 * <li>ORDERED: enabled when every older task has left the set.</li>
 * <li>HEAD OF QUEUE: enabled at once, ahead of every dormant task.</li>
 * <li>ACA: never reaches the set; the router refuses it (NormACA is 0, ACA is never established).</li>
 * </ul>
 * Enabled SIMPLE tasks run in any order and at the same time; the Control mode page reports
 * QUEUE ALGORITHM MODIFIER 1 (unrestricted reordering), as a target with concurrent store
 * workers must. Tasks are linked through fields of their {@link CommandContext}: entering and
 * leaving allocate nothing. All state is guarded by this object's monitor; the one lock taken
 * inside it is the unit's {@link UnitWorkers} queue lock (never the other way round).
 */
final class TaskSet {
    static final int OUTSIDE = 0;
    static final int DORMANT = 1;
    static final int ENABLED = 2;
    static final int ANSWERING = 3;

    private CommandContext head;
    private CommandContext tail;
    private int enabled;
    private int enabledOrdered;
    private int enabledHeadOfQueue;
    private int dormant;
    /**
     * Whether more than one I_T nexus uses the unit: the nexus of the last task that entered,
     * and how many tasks in a row entered from it, up to {@link #SOLE_AFTER}. The set is
     * {@link #shared()} from a task of a nexus other than the last one until {@code SOLE_AFTER}
     * tasks in a row came from one. Counted on entry, since with tasks that end as soon as they
     * start the set is mostly empty while several initiators keep the unit busy.
     */
    static final int SOLE_AFTER = 256;
    /** By host and id, not by reference: a nexus that logged out is not kept reachable from here. */
    private long lastNexusId;
    private int lastHostNo = -1;
    private int sameNexusRun;
    private volatile boolean shared;

    /**
     * Adds an accepted task.
     *
     * @return true if it is enabled now (the caller starts it); false if it waits dormant and
     *         is started by the thread whose task ends ahead of it ({@link #exit})
     */
    synchronized boolean enter(CommandContext c) {
        c.setPrev = tail;
        c.setNext = null;
        if (tail == null) {
            head = c;
        } else {
            tail.setNext = c;
        }
        tail = c;
        c.aborted = false;
        long nexusId = c.nexus.id();
        int hostNo = c.nexus.hostNo();
        if (nexusId != lastNexusId || hostNo != lastHostNo) {
            if (lastHostNo >= 0 && !shared) {
                shared = true;
            }
            lastNexusId = nexusId;
            lastHostNo = hostNo;
            sameNexusRun = 0;
        } else if (sameNexusRun < SOLE_AFTER && ++sameNexusRun == SOLE_AFTER) {
            shared = false;
        }
        boolean now;
        if (c.attribute == TaskAttribute.HEAD_OF_QUEUE) {
            now = true;
        } else if (c.attribute == TaskAttribute.ORDERED) {
            now = dormant == 0 && enabled == 0;
        } else {
            now = dormant == 0 && enabledOrdered == 0 && enabledHeadOfQueue == 0;
        }
        if (now) {
            enable(c);
        } else {
            c.setState = DORMANT;
            dormant++;
        }
        return now;
    }

    private void enable(CommandContext c) {
        c.setState = ENABLED;
        enabled++;
        if (c.attribute == TaskAttribute.ORDERED) {
            enabledOrdered++;
        } else if (c.attribute == TaskAttribute.HEAD_OF_QUEUE) {
            enabledHeadOfQueue++;
        }
    }

    /**
     * Whether several I_T nexuses use the unit now (see {@link #SOLE_AFTER}; read without the
     * lock: a hint). While they do, the router leaves READs to the unit's workers, whose one
     * queue serves the initiators in arrival order, rather than to each connection's
     * delivering thread, whose share of the processors the scheduler decides.
     */
    boolean shared() {
        return shared;
    }

    /**
     * The task's answer is about to be sent.
     *
     * @return false if task management aborted it first: it is then answered as aborted
     */
    synchronized boolean beginAnswer(CommandContext c) {
        if (c.aborted) {
            return false;
        }
        c.setState = ANSWERING;
        return true;
    }

    /**
     * Removes a task whose answer (or abort record) has been sent, and enables the dormant tasks
     * that were waiting only for it.
     *
     * @return the first task to start now, the rest chained through {@code startNext}; or null
     */
    synchronized CommandContext exit(CommandContext c) {
        if (c.setState == OUTSIDE) {
            return null;
        }
        unlink(c);
        return dormant == 0 ? null : enableDormant();
    }

    private void unlink(CommandContext c) {
        if (c.setState == DORMANT) {
            dormant--;
        } else {
            enabled--;
            if (c.attribute == TaskAttribute.ORDERED) {
                enabledOrdered--;
            } else if (c.attribute == TaskAttribute.HEAD_OF_QUEUE) {
                enabledHeadOfQueue--;
            }
        }
        if (c.setPrev == null) {
            head = c.setNext;
        } else {
            c.setPrev.setNext = c.setNext;
        }
        if (c.setNext == null) {
            tail = c.setPrev;
        } else {
            c.setNext.setPrev = c.setPrev;
        }
        c.setPrev = null;
        c.setNext = null;
        c.setState = OUTSIDE;
    }

    /** Enables dormant tasks from the oldest on, as far as their attributes allow. */
    private CommandContext enableDormant() {
        CommandContext first = null;
        CommandContext last = null;
        for (CommandContext t = head; t != null && dormant > 0; t = t.setNext) {
            if (t.setState != DORMANT) {
                continue;
            }
            boolean ordered = t.attribute == TaskAttribute.ORDERED;
            if (ordered ? enabled != 0 : enabledOrdered != 0 || enabledHeadOfQueue != 0) {
                break;   // it waits, and so does everything younger
            }
            dormant--;
            enable(t);
            t.startNext = null;
            if (first == null) {
                first = t;
            } else {
                last.startNext = t;
            }
            last = t;
            if (ordered) {
                break;   // younger tasks wait for it
            }
        }
        return first;
    }

    /**
     * Task management: ends the tasks of {@code nexus} (every nexus if null) that {@code tag}
     * names (every tag if {@code allTags}), except the task {@code except} (may be null).
     * <ul>
     * <li>A dormant task, or an enabled one still queued for the store workers, is removed at
     *     once and chained through {@code abortNext} into {@code out.removed}; the caller answers
     *     it as aborted.</li>
     * <li>An enabled task that has started is marked aborted and {@code wait} waits for it: when
     *     it ends it is answered as aborted, not with its result.</li>
     * <li>A task whose answer is being sent is not aborted, but {@code wait} waits until it has
     *     left, so its answer goes out before the task management function's.</li>
     * </ul>
     * Tasks enabled by the removals are chained into {@code out.start}. With {@code wait} null
     * nothing waits (PREEMPT AND ABORT: its own command goes on).
     *
     * @return how many tasks were aborted (removed or marked)
     */
    synchronized int abort(Nexus nexus, boolean allTags, int tag, CommandContext except, UnitWorkers workers,
                           TaskManager.Wait wait, Ended out) {
        int aborted = 0;
        CommandContext t = head;
        while (t != null) {
            CommandContext next = t.setNext;
            if (t != except && (nexus == null || t.nexus == nexus) && (allTags || t.tag == tag)) {
                if (t.setState == ANSWERING) {
                    if (wait != null) {
                        wait.add(t);
                    }
                } else if (t.setState == DORMANT || (workers != null && workers.cancel(t))) {
                    unlink(t);
                    t.aborted = true;
                    t.abortNext = out.removed;
                    out.removed = t;
                    aborted++;
                } else {
                    if (!t.aborted) {
                        t.aborted = true;
                        aborted++;
                    }
                    if (wait != null) {
                        wait.add(t);   // also when an earlier function aborted it: wait for it too
                    }
                }
            }
            t = next;
        }
        if (out.removed != null && dormant > 0) {
            CommandContext s = enableDormant();
            if (s != null) {
                CommandContext last = s;
                while (last.startNext != null) {
                    last = last.startNext;
                }
                last.startNext = out.start;
                out.start = s;
            }
        }
        return aborted;
    }

    /** Tasks of {@code nexus} in the set. */
    synchronized int count(Nexus nexus) {
        int n = 0;
        for (CommandContext t = head; t != null; t = t.setNext) {
            if (t.nexus == nexus) {
                n++;
            }
        }
        return n;
    }

    /** Tasks in the set (for tests and statistics). */
    synchronized int size() {
        return enabled + dormant;
    }

    /** What {@link #abort} hands back to the caller, who acts on it outside the lock. */
    static final class Ended {
        /** Removed tasks, chained through {@code abortNext}: answer each as aborted. */
        CommandContext removed;
        /** Tasks enabled by the removals, chained through {@code startNext}: start each. */
        CommandContext start;
    }
}
