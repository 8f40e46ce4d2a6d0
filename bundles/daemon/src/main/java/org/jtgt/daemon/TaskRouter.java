package org.jtgt.daemon;

import java.nio.ByteBuffer;
import java.util.List;

import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.EventFormatException;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.HandOff;
import org.jtgt.api.transport.TransportEndpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one {@code KEVENT_CMD_REQ} on the delivering thread, runs it, and answers it with
 * {@code UEVENT_CMD_RSP} through the endpoint it came from: validates the record, finds the
 * I_T nexus and logical unit (the task router of SAM-5 4.6.4), records the task until
 * {@code KEVENT_CMD_DONE}, reports a pending unit attention instead of running the command
 * (SAM-5 5.14), answers RESERVATION CONFLICT when another nexus holds the unit's SPC-2
 * reservation and the command conflicts with it (SPC-2 5.5.1) or when the unit's persistent
 * reservation does not allow the command from this nexus (SPC-4 5.13.1), NOT READY, LOGICAL UNIT NOT
 * ACCESSIBLE when the access state of the nexus's target port group does not process the command
 * (SPC-4 5.16.2.4, {@link AccessStates}), NOT READY, MEDIUM NOT PRESENT for
 * a medium-access command while a removable unit's medium is ejected, checks the CDB envelope,
 * dispatches through the {@link CommandTable} and turns
 * the resulting {@link SenseReason} into status, sense and residual.
 *
 * <p>Where each step runs: the cheap ordered work above on the delivering thread ({@link
 * #execute}); then the task enters its unit's {@link TaskSet} and, once its task attribute
 * allows ({@link #start}), its handler runs ({@link #runTask}) on the delivering thread when the
 * store never blocks or the handler submits to an asynchronous store, else on the unit's
 * {@link UnitWorkers}; the answer goes out from whichever thread ends the command ({@link
 * #finish}: the handler's, the store's completion, a SANITIZE thread), which then starts the
 * tasks that waited for it. Tasks come from a pool and go back to it when answered.
 *
 * <p>Residuals follow RFC 7143 11.4.5 (and FCP-4's FCP_RESID): residual = expected data transfer
 * length − the bytes the command wanted to transfer (SPDTL); positive is an underflow, negative
 * an overflow, and the data moved is the smaller of the two. A command that fails reports the
 * same residual, as libiscsi's residual tests expect.
 */
final class TaskRouter {
    private static final Logger LOG = LoggerFactory.getLogger(TaskRouter.class);
    /**
     * System property {@value}: {@code false} stops recording the units' latency (the
     * metrics-on/off comparison of the benchmarks); read once.
     */
    static final String LATENCY_PROPERTY = "jtgt.metrics.latency";
    static final boolean RECORD_LATENCY = !"false".equalsIgnoreCase(System.getProperty(LATENCY_PROPERTY));

    private final NexusTable nexuses;
    private final CommandTable commands;
    private final WarningThrottle warnings;
    private final PortTable ports;

    /** Idle tasks kept for reuse; more are made when all are busy (bounded by the task tables). */
    private static final int POOL_KEEP = 4096;
    private final Object poolLock = new Object();
    private CommandContext[] pool = new CommandContext[64];
    private int pooled;

    TaskRouter(NexusTable nexuses, CommandTable commands, WarningThrottle warnings, PortTable ports) {
        this.nexuses = nexuses;
        this.commands = commands;
        this.warnings = warnings;
        this.ports = ports;
    }

    /** A task from the pool, reset. */
    CommandContext take() {
        CommandContext c = null;
        synchronized (poolLock) {
            if (pooled > 0) {
                c = pool[--pooled];
                pool[pooled] = null;
            }
        }
        if (c == null) {
            c = new CommandContext(this);
        }
        c.reset();
        return c;
    }

    /** Returns an answered task to the pool. */
    private void give(CommandContext c) {
        c.from = null;
        c.nexus = null;
        c.target = null;
        c.unit = null;
        c.entry = null;
        synchronized (poolLock) {
            if (pooled == pool.length && pooled < POOL_KEEP) {
                pool = java.util.Arrays.copyOf(pool, Math.min(POOL_KEEP, pooled * 2));
            }
            if (pooled < pool.length) {
                pool[pooled++] = c;
            }
        }
    }

    /**
     * Takes the oldest unit attention for the command's LUN, which the command reports (the
     * split shape's daemon keeps it written down until the command's KEVENT_CMD_DONE). A
     * REPORTED LUNS DATA HAS CHANGED condition, once reported through any LUN, is cleared on
     * every LUN of the I_T nexus (SAM-5 5.14; SPC-4 Extended INQUIRY Data VPD page, LUICLR = 1).
     */
    static SenseReason takeUnitAttention(CommandContext c) {
        UnitAttentions ua = c.nexus.unitAttentions();
        SenseReason r = ua.report(c.lun, c.cid);
        if (r == SenseReason.REPORTED_LUNS_DATA_HAS_CHANGED) {
            ua.clearEverywhere(r);
        }
        return r;
    }

    void execute(ByteBuffer b, int o, TransportEndpoint from) {
        CommandContext c = take();
        c.received = RECORD_LATENCY ? System.nanoTime() : 0;
        c.ports = ports;
        c.from = from;
        c.hostNo = EventHeader.hostNo(b, o);
        c.cid = CmdReqEvent.cid(b, o);
        c.expectedLength = Integer.toUnsignedLong(CmdReqEvent.expectedLength(b, o));
        c.dataOffset = 0;
        c.inLimit = 0;
        c.outAvailable = 0;

        DataArea area = from.dataArea();
        ByteBuffer data = c.data(area);
        try {
            CmdReqEvent.validate(b, o, area.size());
            long end = CmdReqEvent.dataOffset(b, o) + CmdReqEvent.dataLength(b, o);
            if (end > data.capacity()) {
                throw new EventFormatException("KEVENT_CMD_REQ: data reference ends at " + end
                        + " beyond the data area buffer of " + data.capacity() + " bytes");
            }
            if (CmdReqEvent.cdbLength(b, o) > CmdReqEvent.INLINE_CDB_LENGTH
                    && CmdReqEvent.extCdbOffset(b, o) + CmdReqEvent.cdbLength(b, o) > data.capacity()) {
                throw new EventFormatException("KEVENT_CMD_REQ: extended CDB beyond the data area buffer");
            }
        } catch (EventFormatException e) {
            if (warnings.admit()) {
                LOG.warn("host {}: malformed command cid {} answered with CHECK CONDITION: {}",
                        c.hostNo, c.cid, e.getMessage());
            }
            respond(c, SenseReason.INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT);
            give(c);
            return;
        }

        c.dataOffset = (int) CmdReqEvent.dataOffset(b, o);
        int room = (int) Math.min(c.expectedLength, CmdReqEvent.dataLength(b, o));
        c.direction = DataDirection.fromCode(CmdReqEvent.direction(b, o));
        boolean in = c.direction == DataDirection.READ || c.direction == DataDirection.BIDIRECTIONAL;
        boolean out = c.direction == DataDirection.WRITE || c.direction == DataDirection.BIDIRECTIONAL;
        c.inLimit = in ? room : 0;
        c.outAvailable = out ? room : 0;
        c.tag = CmdReqEvent.tag(b, o);
        c.attribute = TaskAttribute.fromCode(CmdReqEvent.taskAttribute(b, o));
        c.cdbLength = CmdReqEvent.cdbLength(b, o);
        if (c.cdbLength <= CmdReqEvent.INLINE_CDB_LENGTH) {
            for (int i = 0; i < CmdReqEvent.INLINE_CDB_LENGTH; i++) {
                c.cdb[i] = b.get(o + CmdReqEvent.CDB_OFFSET + i);
            }
        } else {
            data.get((int) CmdReqEvent.extCdbOffset(b, o), c.cdb, 0, c.cdbLength);
        }

        Nexus nexus = nexuses.get(c.hostNo, CmdReqEvent.nexusId(b, o));
        if (nexus == null) {
            if (warnings.admit()) {
                LOG.warn("host {}: command cid {} for unknown I_T nexus {}", c.hostNo, c.cid, CmdReqEvent.nexusId(b, o));
            }
            respond(c, SenseReason.NEXUS_NOT_FOUND);
            give(c);
            return;
        }
        c.nexus = nexus;
        c.target = nexus.target();
        c.lun = nexus.targetLun(LunAddress.decode(CmdReqEvent.lun(b, o)));   // the target's LUN from here on
        if (!nexus.tasks().put(c.cid, nexus, c.tag, c.lun)) {
            if (warnings.admit()) {
                LOG.warn("{}: task set full ({} tasks await KEVENT_CMD_DONE)", nexus, nexus.tasks().size());
            }
            respondStatus(c, ScsiStatus.TASK_SET_FULL);
            give(c);
            return;
        }
        SenseReason refused = admit(c);
        if (refused != null) {
            finish(c, refused);
        } else if (c.unit == null) {
            runTask(c);   // no unit, no task set: INQUIRY, REPORT LUNS, REQUEST SENSE of a LUN that is not there
        } else if (c.unit.tasks().enter(c)) {
            start(c);
        }
        // else dormant: the thread that ends the task ahead of it starts it
    }

    /**
     * The checks before a command may run, in SAM-5's order; null if it may. Acquires the
     * addressed unit (released when the task ends) and picks the handler.
     */
    private SenseReason admit(CommandContext c) {
        int opcode = c.cdb[0] & 0xFF;
        CommandTable.Entry entry = commands.get(opcode);
        c.entry = entry;
        LogicalUnit unit = c.lun == LunAddress.UNADDRESSABLE ? null : c.target.lun(c.lun);
        if (unit != null && !unit.acquire()) {
            unit = null;   // being removed: as good as gone
        }
        c.unit = unit;
        if (unit == null && !entry.worksWithoutUnit()) {
            return SenseReason.LOGICAL_UNIT_NOT_SUPPORTED;
        }
        // SAM-5 8.6.5: ACA is only used while an ACA condition exists, and NormACA is 0 here,
        // so none ever does; the attribute is a field of the command's information unit.
        if (c.attribute == TaskAttribute.ACA) {
            return SenseReason.INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT;
        }
        if (unit != null && !entry.bypassesUnitAttention()) {
            SenseReason ua = takeUnitAttention(c);
            if (ua != null) {
                return ua;
            }
        }
        // SPC-4 5.16.2.4: the access state of the group the command came through (after unit
        // attentions, before reservations, as LIO orders them); one volatile read while all are active
        if (unit != null && entry != CommandTable.INVALID) {
            SenseReason inaccessible = c.target.accessStates().refusal(c.nexus.relativePort(), c.cdb);
            if (inaccessible != null) {
                return inaccessible;
            }
        }
        if (unit != null && entry.conflicts() && !unit.reservationAllows(c.nexus)) {
            return SenseReason.RESERVATION_CONFLICT;   // SPC-2 5.5.1: no sense data
        }
        // SPC-4 5.13.1: one volatile read while no persistent reservation exists
        if (unit != null && unit.persistentReservations().conflicts(c.nexus, entry.persistentAccess(c.cdb))) {
            return unit.persistentReservations().conflictReason();
        }
        if (unit != null && entry.needsMedium() && !unit.mediumPresent()) {
            return SenseReason.MEDIUM_NOT_PRESENT;
        }
        if (unit != null && !entry.duringSanitize()) {
            // SBC-4 sanitize operation: while it runs only the commands the table marks are
            // processed; after one failed, medium access fails until a SANITIZE succeeds or
            // failure mode is exited.
            if (unit.sanitizing()) {
                return SenseReason.SANITIZE_IN_PROGRESS;
            }
            if (unit.sanitizeFailed() && entry.needsMedium() && opcode != Opcodes.SANITIZE) {
                return SenseReason.SANITIZE_COMMAND_FAILED;
            }
        }
        int length = Cdb.lengthForOpcode(opcode);
        if (entry != CommandTable.INVALID) {
            if (c.cdbLength < length) {
                return SenseReason.INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT;
            }
            // NACA = 1 asks for ACA, which is not supported (NORMACA = 0): SAM-5 5.9.
            if ((c.cdb[length - 1] & Cdb.CONTROL_NACA) != 0) {
                return c.invalidField(length - 1, Cdb.CONTROL_NACA_BIT);
            }
        }
        return null;
    }

    /**
     * Starts an enabled task: here when its handler never waits for a blocking store; else here
     * too if this thread can hand everything it holds over to others first ({@link HandOff}: a
     * connection's reader with the in-process transport, for a command that is its connection's
     * only one), which saves the wake-up of a worker on the command's latency; else on the
     * unit's store workers. A READ is first tried here without waiting ({@link #readNow}).
     * Neither is tried while several I_T nexuses use the unit (see {@link #readNow}).
     */
    void start(CommandContext c) {
        CommandTable.Entry e = c.entry;
        UnitWorkers workers = c.unit.workers();
        if (workers != null && e.usesStore() && !(e.submitsAsync() && c.unit.async() != null)) {
            if (!c.unit.tasks().shared()) {
                if (e.readsNow() && workers.readNow() && readNow(c)) {
                    return;
                }
                if (workers.handOff() && HandOff.handOff()) {
                    try {
                        runTask(c);
                    } finally {
                        HandOff.done();
                    }
                    return;
                }
            }
            workers.submit(c);
        } else {
            runTask(c);
        }
    }

    /**
     * A READ over a store that blocks, tried here first: it ends here if the store has the
     * bytes at hand ({@code BackingStore.readNow}: a page-cache hit), which saves the hand-over
     * to a worker and its wake-up; false if it must go to the workers after all. Not tried
     * while several I_T nexuses use the unit ({@link TaskSet#shared()}): each connection's
     * delivering thread would then serve its own initiator as the scheduler lets it, and one
     * initiator's commands could wait for milliseconds behind another's, where the workers'
     * one queue serves them in arrival order.
     */
    private boolean readNow(CommandContext c) {
        c.nowOnly = true;
        return runTask(c);
    }

    /**
     * Runs a started task's handler on this thread and answers it, unless the handler answers
     * later ({@link SenseReason#ANSWERED_LATER}: the task is then another thread's, perhaps
     * answered and reused already, and nothing here touches it again).
     *
     * @return false only for a {@link CommandContext#nowOnly} READ the store could not serve on
     *         this thread ({@link #readNow}): the task is still the caller's to submit
     */
    boolean runTask(CommandContext c) {
        SenseReason r;
        try {
            r = c.entry.handler().execute(c);
        } catch (RuntimeException e) {
            if (!c.takeBackSubmit()) {
                LOG.error("{}: {} (cid {}) failed after it went asynchronous; its completion answers it",
                        c.nexus, c.entry.name(), c.cid, e);
                return true;
            }
            if (warnings.admit()) {
                LOG.warn("{}: {} (cid {}) failed inside the daemon", c.nexus, c.entry.name(), c.cid, e);
            }
            c.information = -1;
            r = SenseReason.INTERNAL_TARGET_FAILURE;
        }
        if (r == SenseReason.ANSWERED_LATER) {
            return true;
        }
        if (c.nowOnly) {
            c.nowOnly = false;
            if (c.notNow) {
                c.notNow = false;
                return false;   // the store cannot serve it on this thread; start submits it
            }
        }
        finish(c, r);
        return true;
    }

    /**
     * Ends a task with {@code r}, on whichever thread it ends: sends its answer (or, if task
     * management aborted it meanwhile, the aborted record), takes it out of its unit's task
     * set, wakes the task management functions waiting for it, starts the tasks it held back,
     * and returns it to the pool.
     */
    void finish(CommandContext c, SenseReason r) {
        if (!c.beginEnd()) {
            endedTwice(c);
            return;
        }
        finishClaimed(c, r);
    }

    /** {@link #finish} once the caller has claimed the ending ({@link CommandContext#beginEnd}). */
    void finishClaimed(CommandContext c, SenseReason r) {
        LogicalUnit u = c.unit;
        boolean inSet = u != null && c.setState != TaskSet.OUTSIDE;
        if (!inSet || u.tasks().beginAnswer(c)) {
            count(c, r);
            if (!respond(c, r)) {
                c.nexus.tasks().remove(c.cid);   // no answer went out, so no CMD_DONE will come
                c.nexus.unitAttentions().notAnswered(c.cid);
            }
        } else {
            respondAborted(c);
        }
        end(c);
    }

    /** After the task's last record went out. */
    private void end(CommandContext c) {
        LogicalUnit u = c.unit;
        CommandContext start = u == null ? null : u.tasks().exit(c);
        TaskManager.Wait w = c.waiter;
        List<TaskManager.Wait> more = c.moreWaiters;
        if (u != null) {
            u.release();
        }
        give(c);
        if (w != null) {
            w.taskEnded();
            if (more != null) {
                for (TaskManager.Wait m : more) {
                    m.taskEnded();
                }
            }
        }
        startAll(start);
    }

    private void startAll(CommandContext first) {
        CommandContext t = first;
        while (t != null) {
            CommandContext next = t.startNext;
            t.startNext = null;
            start(t);
            t = next;
        }
    }

    /**
     * Acts on what task management took out of a task set: answers each removed task as aborted
     * (its handler never ran) and starts the tasks the removals enabled.
     */
    void endRemoved(TaskSet.Ended out) {
        CommandContext t = out.removed;
        while (t != null) {
            CommandContext next = t.abortNext;
            t.abortNext = null;
            if (t.beginEnd()) {
                respondAborted(t);
                end(t);
            } else {
                endedTwice(t);
            }
            t = next;
        }
        startAll(out.start);
    }

    /** A second attempt to end a task: refused, and said loudly, with where it came from. */
    static void endedTwice(CommandContext c) {
        LOG.error("host {} cid {}: a second attempt to end the task was refused (daemon bug; the first one answered it)",
                c.hostNo, c.cid, new IllegalStateException("task ended twice"));
    }

    /** Statistics of the nexus and the unit (IoCounters: single writer, no allocation, no lock). */
    private static void count(CommandContext c, SenseReason r) {
        long read = 0;
        long written = 0;
        if (r == SenseReason.NONE) {
            if (c.direction == DataDirection.READ || c.direction == DataDirection.BIDIRECTIONAL) {
                read = c.transferred;
            }
            if (c.direction == DataDirection.WRITE || c.direction == DataDirection.BIDIRECTIONAL) {
                written = Math.min(c.wanted, c.outAvailable);
            }
        }
        int senseKey = r != SenseReason.NONE && !r.isStatusOnly() ? r.senseKey() : IoCounters.NO_CHECK_CONDITION;
        c.nexus.counters().count(read, written, senseKey);
        LogicalUnit u = c.unit;
        if (u != null) {
            u.counters().count(read, written, senseKey);
            if (RECORD_LATENCY) {
                u.latency().record(System.nanoTime() - c.received);
            }
        }
    }

    /** Answers with status and, for CHECK CONDITION, fixed sense; false if the endpoint is gone. */
    private boolean respond(CommandContext c, SenseReason r) {
        ByteBuffer rec = c.record;
        long residual = c.expectedLength - c.wanted;
        int res = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, residual));
        if (r == SenseReason.NONE) {
            CmdRspEvent.write(rec, 0, c.hostNo, c.cid, c.dataOffset, c.transferred, res, ScsiStatus.GOOD);
        } else if (r.isStatusOnly()) {
            CmdRspEvent.write(rec, 0, c.hostNo, c.cid, c.dataOffset, 0, res, ScsiStatus.RESERVATION_CONFLICT);
        } else {
            CmdRspEvent.write(rec, 0, c.hostNo, c.cid, c.dataOffset, 0, res, ScsiStatus.CHECK_CONDITION);
            boolean descriptor = c.unit != null && c.unit.descriptorSense();
            int n = r.writeSense(descriptor, c.sense, 0, c.information, c.fieldPointer, c.bitPointer, c.copySegment);
            CmdRspEvent.putSense(rec, 0, c.sense, n);
            logFailure(c, r);
        }
        return send(c, rec);
    }

    private boolean respondStatus(CommandContext c, int status) {
        ByteBuffer rec = c.record;
        long residual = Math.min(Integer.MAX_VALUE, c.expectedLength);
        CmdRspEvent.write(rec, 0, c.hostNo, c.cid, c.dataOffset, 0, (int) residual, status);
        return send(c, rec);
    }

    /** The record that ends an aborted task: the LLD sends the initiator nothing for it. */
    private void respondAborted(CommandContext c) {
        ByteBuffer rec = c.record;
        long residual = Math.min(Integer.MAX_VALUE, c.expectedLength);
        CmdRspEvent.writeAborted(rec, 0, c.hostNo, c.cid, c.dataOffset, (int) residual);
        if (!send(c, rec)) {
            c.nexus.tasks().remove(c.cid);
        }
    }

    private boolean send(CommandContext c, ByteBuffer rec) {
        if (c.from.send(rec, 0, CmdRspEvent.LENGTH)) {
            return true;
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("host {}: response to cid {} not sent, the endpoint is closed", c.hostNo, c.cid);
        }
        return false;
    }

    private void logFailure(CommandContext c, SenseReason r) {
        if (c.ioFailure != null) {
            if (warnings.admit()) {
                LOG.warn("{}: LUN {} {} at LBA {}: {}", c.nexus, c.lun, r, c.lba, c.ioFailure.toString());
            }
        } else if (LOG.isDebugEnabled()) {
            LOG.debug("host {} cid {}: opcode 0x{} -> {}", c.hostNo, c.cid, Integer.toHexString(c.cdb[0] & 0xFF), r);
        }
    }

    /**
     * The answer of a command that goes on after its handler returned: the handler takes it
     * ({@link #answerLater}) and returns {@link SenseReason#ANSWERED_LATER}; {@link #complete} answers
     * from whichever thread ends the command. It is the task itself, which stays out of the
     * pool until then; its record stays until KEVENT_CMD_DONE, so QUERY TASK sees it meanwhile.
     */
    interface Pending {
        /**
         * Takes over answering the command {@code c} runs, before the work that answers it is
         * started; its handler then returns {@link SenseReason#ANSWERED_LATER}.
         */
        static Pending answerLater(CommandContext c) {
            return c;
        }

        /** Answers GOOD for {@link SenseReason#NONE}, else CHECK CONDITION with the reason's sense. */
        void complete(SenseReason r);
    }
}
