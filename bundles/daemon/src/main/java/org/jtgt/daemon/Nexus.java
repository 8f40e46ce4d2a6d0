package org.jtgt.daemon;

/**
 * An I_T nexus (SAM-5 4.6): one initiator port talking to one target through one SCSI host,
 * identified by (host number, nexus id). Its task set lives in the host's {@link TaskTable}; its
 * unit attention conditions in {@link UnitAttentions}.
 */
final class Nexus {
    private final int hostNo;
    private final long id;
    private final Target target;
    private final String initiatorPortName;
    private final int relativePort;
    private final TaskTable tasks;
    private final UnitAttentions unitAttentions = new UnitAttentions();
    private final CopyOperations copies = new CopyOperations();
    private final IoCounters counters = new IoCounters();
    /** The initiator's LUN map ({@link LunView}), or null: it sees the target's LUNs. Set under the admin lock. */
    private volatile LunView view;

    Nexus(int hostNo, long id, Target target, String initiatorPortName, int relativePort, TaskTable tasks) {
        this.hostNo = hostNo;
        this.id = id;
        this.target = target;
        this.initiatorPortName = initiatorPortName;
        this.relativePort = relativePort;
        this.tasks = tasks;
    }

    int hostNo() {
        return hostNo;
    }

    long id() {
        return id;
    }

    Target target() {
        return target;
    }

    String initiatorPortName() {
        return initiatorPortName;
    }

    /** The relative target port identifier the initiator came in on (VPD page 83h). */
    int relativePort() {
        return relativePort;
    }

    TaskTable tasks() {
        return tasks;
    }

    UnitAttentions unitAttentions() {
        return unitAttentions;
    }

    /** The EXTENDED COPY operations this nexus identified by list identifier (SPC-4 EXTENDED COPY). */
    CopyOperations copies() {
        return copies;
    }

    /** Commands of this nexus, counted by the thread that executes them. */
    IoCounters counters() {
        return counters;
    }

    LunView view() {
        return view;
    }

    /** Admin lock held. */
    void view(LunView v) {
        view = v;
    }

    /**
     * The target's LUN that the initiator's LUN {@code lun} addresses through this nexus, or
     * {@link LunAddress#UNADDRESSABLE}; without a map, {@code lun} itself. Allocation-free.
     */
    int targetLun(int lun) {
        LunView v = view;
        return v == null ? lun : v.targetLun(lun);
    }

    /** Whether this nexus's view names target LUN {@code lun} (whether or not the target has it now). */
    boolean maps(int lun) {
        LunView v = view;
        return v == null || v.initiatorLun(lun) != LunAddress.UNADDRESSABLE;
    }

    @Override
    public String toString() {
        return "nexus " + hostNo + ":" + id + " (" + initiatorPortName + " -> " + target.name() + ")";
    }
}
