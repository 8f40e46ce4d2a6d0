package org.jtgt.host;

import org.jtgt.api.event.TaskManagementFunction;

/**
 * A task-management or nexus request waiting in a host's queue or for its answer. These are
 * rare next to commands, so they are plain objects rather than pooled slots.
 */
final class Request {
    enum Kind { TMF, NEXUS_CREATE, NEXUS_DESTROY }

    final Kind kind;
    /** The management id (TMF) or the nexus id. */
    final long id;
    final long nexusId;
    final TaskManagementFunction function;
    final long lun;
    final int referencedTag;
    final String initiatorPortName;
    final String targetName;
    final int relativePort;

    /** Set when sent. */
    TransportBinding binding;
    long namesOffset = -1;
    int namesLength;

    private Request(Kind kind, long id, long nexusId, TaskManagementFunction function, long lun, int referencedTag,
                    String initiatorPortName, String targetName, int relativePort) {
        this.kind = kind;
        this.id = id;
        this.nexusId = nexusId;
        this.function = function;
        this.lun = lun;
        this.referencedTag = referencedTag;
        this.initiatorPortName = initiatorPortName;
        this.targetName = targetName;
        this.relativePort = relativePort;
    }

    static Request tmf(long mid, long nexusId, TaskManagementFunction function, long lun, int referencedTag) {
        return new Request(Kind.TMF, mid, nexusId, function, lun, referencedTag, null, null, 0);
    }

    static Request createNexus(long nexusId, String initiatorPortName, String targetName, int relativePort) {
        return new Request(Kind.NEXUS_CREATE, nexusId, nexusId, null, 0, 0, initiatorPortName, targetName, relativePort);
    }

    static Request destroyNexus(long nexusId) {
        return new Request(Kind.NEXUS_DESTROY, nexusId, nexusId, null, 0, 0, null, null, 0);
    }

    /** Key in the host's pending map: TMF by mid, nexus requests by id and op. */
    long key() {
        return kind == Kind.TMF ? id : (id << 2) | (kind == Kind.NEXUS_CREATE ? 1 : 2);
    }

    static long nexusKey(long nexusId, boolean create) {
        return (nexusId << 2) | (create ? 1 : 2);
    }

    @Override
    public String toString() {
        return kind + " " + id + (function != null ? " " + function : "");
    }
}
