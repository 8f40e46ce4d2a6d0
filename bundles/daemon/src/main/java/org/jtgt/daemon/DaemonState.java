package org.jtgt.daemon;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What the data plane ({@link EventDispatcher}) and the control plane ({@link TargetControl})
 * share: the targets, the I_T nexus table, the target ports drivers registered and one task
 * table per SCSI host with nexuses.
 *
 * <h2>Publication</h2>
 * The event path takes no lock for commands: {@link #targets} and {@link #hosts} are immutable
 * snapshots behind volatile fields, and the nexus table publishes its own; all three are
 * replaced whole, and the port table changed, only under {@link #lock}, by administration and
 * by nexus login and logout. A reader sees one consistent snapshot or the next.
 */
final class DaemonState {
    /** The admin lock: every change of targets, LUN maps, nexuses, hosts and ports. */
    final Object lock = new Object();
    /** Name → target; replaced whole under {@link #lock}. */
    volatile Map<String, Target> targets = Map.of();
    final NexusTable nexuses = new NexusTable();
    /** The target ports drivers registered; changed under {@link #lock}. */
    final PortTable ports = new PortTable();
    /** One task table per SCSI host with nexuses; replaced whole under {@link #lock}. */
    volatile TaskTable[] hosts = new TaskTable[0];
    /**
     * The split shape's daemon: where mode parameters and pending unit attentions are kept for
     * the next daemon process; {@code null} otherwise. Set before any target exists.
     */
    volatile KeptState kept;

    /** The task table of SCSI host {@code hostNo}, or {@code null}; lock-free. */
    TaskTable host(int hostNo) {
        for (TaskTable t : hosts) {
            if (t.hostNo() == hostNo) {
                return t;
            }
        }
        return null;
    }

    /**
     * Lock held. Forgets a nexus and its task records; drops its host's table when empty. This is
     * I_T nexus loss for the target's units: the nexus's reservations and preventions of medium
     * removal end with it.
     */
    void dropNexus(Nexus nexus) {
        dropNexus(nexus, false);
    }

    /**
     * Like {@link #dropNexus(Nexus)}; {@code livesOn}: the transport ended under the nexus, which
     * lives on in the split shape's front ({@link LogicalUnit#nexusLost(Nexus, boolean)}).
     */
    void dropNexus(Nexus nexus, boolean livesOn) {
        nexuses.remove(nexus);
        nexus.target().removeNexus(nexus);
        for (LogicalUnit u : nexus.target().luns()) {
            u.nexusLost(nexus, livesOn);
        }
        TaskTable tasks = nexus.tasks();
        tasks.removeAll(nexus);
        if (nexuses.countOnHost(nexus.hostNo()) == 0 && tasks.size() == 0) {
            List<TaskTable> keep = new ArrayList<>(Arrays.asList(hosts));
            keep.remove(tasks);
            hosts = keep.toArray(new TaskTable[0]);
        }
    }
}
