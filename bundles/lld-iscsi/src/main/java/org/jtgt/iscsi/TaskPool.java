package org.jtgt.iscsi;

import java.util.ArrayDeque;

/**
 * A connection's {@link ScsiTask}s, made when the connection is: as many as its window and its
 * immediate commands can have outstanding. The reader takes them, the sender (after a response)
 * and task management (after an abort) give them back.
 */
final class TaskPool {
    private final IscsiConnection connection;
    private final int capacity;
    private final int maxOutstandingR2T;
    private final ArrayDeque<ScsiTask> free = new ArrayDeque<>();

    TaskPool(IscsiConnection connection, TargetSettings settings) {
        this.connection = connection;
        this.capacity = settings.window() + settings.immediateCommands();
        this.maxOutstandingR2T = settings.maxOutstandingR2T();
        for (int i = 0; i < capacity; i++) {
            free.add(new ScsiTask(connection, maxOutstandingR2T));
        }
    }

    ScsiTask take() {
        ScsiTask t;
        synchronized (free) {
            t = free.poll();
        }
        if (t == null) {
            // The pool covers the window; more can only be a burst of local answers in flight.
            t = new ScsiTask(connection, maxOutstandingR2T);
        }
        t.reset();
        return t;
    }

    void recycle(ScsiTask t) {
        t.reset();
        t.state = ScsiTask.State.FREE;
        synchronized (free) {
            if (free.size() < capacity) {
                free.add(t);
            }
        }
    }
}
