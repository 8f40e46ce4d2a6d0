package org.jtgt.iscsi;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.scsi.ScsiStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The way of a SCSI task through a connection's reader (RFC 7143 11.3, 11.7): admission of the
 * SCSI Command PDU (window, tags, lengths, CDB, a host command within the session's share), its
 * data (immediate, then Data-Out through the {@link DataOutSequencer}), and submission to the
 * host in CmdSN order once the data is complete. A task the driver answers itself (CHECK
 * CONDITION, TASK SET FULL, BUSY) goes to the {@link ResponseSender} without reaching the host.
 *
 * <p>Errors: a Data-Out that breaks the data sequence rules (offset, DataSN, TTT, F bit), or a
 * data digest error on data a command needs, is answered with a Reject, and since
 * ErrorRecoveryLevel 0 cannot ask for the data again, the command ends with CHECK CONDITION
 * (RFC 7143 11.17.1: a task terminated because of a Reject gets a SCSI response; sense from the
 * table of RFC 7143 11.4.7.2).
 *
 * <p>Reader thread only.
 */
final class ScsiCommandHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ScsiCommandHandler.class);

    private final IscsiConnection connection;
    private final TargetSettings settings;
    private final ScsiHost host;
    private final PduDecoder decoder;
    private final CommandWindow window;
    private final IttTable tasks;
    private final TaskPool pool;
    private final DataOutSequencer dataOut;
    private final ResponseSender sender;
    private final byte[] cdbScratch = new byte[CmdReqEvent.MAX_CDB_LENGTH];
    private final List<ScsiTask> readerScratch = new ArrayList<>();

    ScsiCommandHandler(IscsiConnection connection, TargetSettings settings, ScsiHost host, PduDecoder decoder,
            CommandWindow window, IttTable tasks, TaskPool pool, DataOutSequencer dataOut, ResponseSender sender) {
        this.connection = connection;
        this.settings = settings;
        this.host = host;
        this.decoder = decoder;
        this.window = window;
        this.tasks = tasks;
        this.pool = pool;
        this.dataOut = dataOut;
        this.sender = sender;
    }

    // ---------------------------------------------------------------- SCSI Command (RFC 7143 11.3)

    /**
     * Checks window, tags and lengths of a SCSI Command header, and reserves a host command: the
     * new task (in the task table, answered locally if it cannot reach the host), or why not.
     */
    Admission admit(ByteBuffer h, int dataLength) {
        SessionParameters p = connection.params();
        if (p.discovery) {
            // RFC 7143 4.3: a Discovery session carries only Text, NOP and Logout.
            return Admission.Refusal.reject(RejectReason.PROTOCOL_ERROR, "SCSI Command in a discovery session");
        }
        boolean immediate = Bhs.immediate(h);
        int cmdSn = Bhs.cmdSn(h);
        int itt = Bhs.itt(h);
        if (!immediate && !window.inWindow(cmdSn)) {
            return Admission.Refusal.drop("CmdSN " + Integer.toUnsignedString(cmdSn) + " outside " + window.describe());
        }
        if (immediate && window.immediateFull()) {
            return Admission.Refusal.reject(RejectReason.IMMEDIATE_COMMAND_REJECT, "too many immediate commands");
        }
        if (itt == Bhs.RESERVED_TAG || tasks.containsKey(itt)) {
            return Admission.Refusal.fatal(RejectReason.INVALID_PDU_FIELD, "ITT 0x" + Integer.toHexString(itt)
                    + " is in use");
        }
        int flags = Bhs.flags(h);
        boolean read = (flags & Bhs.CMD_READ) != 0;
        boolean write = (flags & Bhs.CMD_WRITE) != 0;
        long edtlField = Integer.toUnsignedLong(Bhs.word20(h));
        if (dataLength > 0 && (!write || !p.immediateData || dataLength > edtlField
                || dataLength > p.effectiveFirstBurstLength())) {
            // RFC 7143 11.3.3 / 13.11: immediate data only with W, only if negotiated, and
            // never beyond EDTL or FirstBurstLength.
            return Admission.Refusal.fatal(RejectReason.PROTOCOL_ERROR, "immediate data of " + dataLength
                    + " bytes not allowed (EDTL " + edtlField + ")");
        }
        int cdbLength = cdb(h);
        if (cdbLength < 0) {
            return Admission.Refusal.fatal(RejectReason.INVALID_PDU_FIELD, "malformed AHS");
        }
        ScsiTask t = pool.take();
        t.itt = itt;
        t.cmdSn = cmdSn;
        t.immediate = immediate;
        t.lun = Bhs.lun(h);
        t.read = read;
        t.write = write;
        t.edtl = (int) Math.min(edtlField, Integer.MAX_VALUE);
        if (read && write) {
            local(t, ScsiStatus.CHECK_CONDITION, LocalSense.BIDIRECTIONAL_NOT_SUPPORTED);
        } else if (cdbLength > CmdReqEvent.MAX_CDB_LENGTH) {
            local(t, ScsiStatus.CHECK_CONDITION, LocalSense.CDB_TOO_LONG);
        } else if ((read || write) && edtlField > host.maxDataLength()) {
            local(t, ScsiStatus.CHECK_CONDITION, LocalSense.TRANSFER_TOO_LONG);
        } else {
            HostCommand cmd = allocateCommand(read || write ? t.edtl : 0);
            if (cmd == null) {
                // Exhaustion is never a failure: the initiator retries. SAM-5 5.3.1: TASK SET FULL
                // when the initiator has other commands in the task set, BUSY when it has none.
                // The host's shares refuse a session with nothing outstanding only when there is
                // no room at all.
                local(t, tasks.size() > 0 ? ScsiStatus.TASK_SET_FULL : ScsiStatus.BUSY, null);
            } else {
                t.command = cmd;
                cmd.setLun(t.lun)
                        .setCdb(cdbScratch, 0, cdbLength)
                        .setTag(itt)
                        .setDirection(read ? DataDirection.READ : write ? DataDirection.WRITE : DataDirection.NONE)
                        .setExpectedLength(read || write ? t.edtl : 0)
                        .setTaskAttribute(attribute(flags & Bhs.CMD_ATTR_MASK));
                cmd.setContext(t);
            }
        }
        t.dataProgressNanos = System.nanoTime();
        t.state = t.command != null ? ScsiTask.State.RECEIVING : ScsiTask.State.LOCAL_RESPONSE;
        tasks.put(itt, t);
        if (immediate) {
            window.immediateAdmitted();
        }
        return t;
    }

    /**
     * A SCSI Command PDU has been read, with its immediate data. {@code placed} is what
     * {@link #admit} said when the decoder asked where the data goes, or null if it did not ask
     * (no data): then it is admitted now.
     */
    void command(ByteBuffer h, Admission placed) throws ConnectionFailure {
        Admission a = placed != null ? placed : admit(h, 0);
        if (a instanceof Admission.Refusal r) {
            switch (r.action()) {
                case DROP:
                    // RFC 7143 4.2.2.1: outside the window, silently ignored.
                    LOG.debug("{}: SCSI Command dropped: {}", connection, r.reason());
                    return;
                case REJECT:
                    sender.sendReject(h, r.rejectReason());
                    return;
                default:
                    throw new ConnectionFailure(r.reason(), r.rejectReason());
            }
        }
        ScsiTask t = (ScsiTask) a;
        int dataLength = decoder.dataLength();
        if (t.state == ScsiTask.State.LOCAL_RESPONSE) {
            if (!t.immediate) {
                window.received(t.cmdSn, null);
            }
            sender.enqueue(t);
            return;
        }
        t.nextOffset = dataLength;
        if (!decoder.dataDigestOk()) {
            if (!t.immediate) {
                window.received(t.cmdSn, t);
            }
            terminate(t, LocalSense.PROTOCOL_SERVICE_CRC_ERROR);
            return;
        }
        if (t.write) {
            dataOut.commandArrived(t, h, dataLength);
        }
        if (t.immediate) {
            if (t.dataComplete()) {
                submit(t);
            }
        } else {
            window.received(t.cmdSn, t);
            submitReady();
        }
    }

    /** Copies the CDB (BHS plus extended CDB AHS) into {@link #cdbScratch}; its length, or -1 if the AHS is malformed. */
    private int cdb(ByteBuffer h) {
        int ahs = decoder.ahsLength();
        int extended = 0;
        int extOffset = 0;
        int at = Bhs.LENGTH;
        int end = Bhs.LENGTH + ahs;
        while (at < end) {
            if (end - at < 4) {
                return -1;
            }
            int length = h.getShort(at) & 0xFFFF;
            int type = h.get(at + 2) & 0xFF;
            int total = (3 + length + 3) & ~3;
            if (length == 0 || at + total > end) {
                return -1;
            }
            if (type == Bhs.AHS_EXTENDED_CDB) {
                // RFC 7143 11.2.2.3: AHSLength = CDB length - 15 (the reserved byte counts).
                extended = length - 1;
                extOffset = at + 4;
            } else if (type != Bhs.AHS_BIDI_READ_LENGTH) {
                return -1;
            }
            at += total;
        }
        int length = Bhs.CDB_LENGTH + extended;
        if (length > cdbScratch.length) {
            return length;   // too long for the host: answered with CHECK CONDITION
        }
        h.get(Bhs.CDB_OFFSET, cdbScratch, 0, Bhs.CDB_LENGTH);
        if (extended > 0) {
            h.get(extOffset, cdbScratch, Bhs.CDB_LENGTH, extended);
        }
        return length;
    }

    private static TaskAttribute attribute(int attr) {
        // RFC 7143 11.3.1.1: 0 untagged and 1 simple are SIMPLE; 2 ordered, 3 head of queue, 4 ACA.
        switch (attr) {
            case 2:
                return TaskAttribute.ORDERED;
            case 3:
                return TaskAttribute.HEAD_OF_QUEUE;
            case 4:
                return TaskAttribute.ACA;
            default:
                return TaskAttribute.SIMPLE;
        }
    }

    /**
     * Reserves a host command for a new task, within this session's share of the host. The reader
     * waits for room (up to the allocate timeout) only while none of this session's tasks waits
     * for the reader itself, for its data or its turn: their room comes back only after the
     * reader has read on, so waiting would stall the session for nothing.
     */
    private HostCommand allocateCommand(int dataLength) {
        long nexusId = connection.nexusId();
        try {
            HostCommand cmd = host.allocate(nexusId, dataLength, 0);
            if (cmd != null || holdsUnsubmittedTasks()) {
                return cmd;
            }
            return host.allocate(nexusId, dataLength, TimeUnit.MILLISECONDS.toNanos(settings.allocateTimeoutMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (RuntimeException e) {
            LOG.debug("{}: allocate failed: {}", connection, e.toString());
            return null;
        }
    }

    /** Whether a task of this session holds a host command it has not submitted (only when refused). */
    private boolean holdsUnsubmittedTasks() {
        tasks.snapshot(readerScratch);
        boolean any = false;
        for (ScsiTask t : readerScratch) {
            any |= t.state == ScsiTask.State.RECEIVING;
        }
        readerScratch.clear();
        return any;
    }

    /** The response the driver gives itself, without the host. */
    private static void local(ScsiTask t, int status, LocalSense sense) {
        t.localStatus = status;
        t.localSense = sense == null ? null : sense.bytes();
        t.localResidual = t.read || t.write ? t.edtl : 0;
    }

    // ---------------------------------------------------------------- Data-Out (RFC 7143 11.7)

    /**
     * A Data-Out PDU has been read. {@code placed} is what the {@link DataOutSequencer} said when
     * the decoder asked where the data goes, or null if it did not ask (no data).
     */
    void dataOut(ByteBuffer h, Admission placed) {
        int length = decoder.dataLength();
        Admission a = placed != null ? placed : dataOut.check(h, length);
        if (a instanceof Admission.Refusal r) {
            switch (r.action()) {
                case DISCARD:
                    LOG.debug("{}: {}", connection, r.reason());
                    return;
                case REJECT:
                    connection.warnBadPdu(r.reason() + "; rejected");
                    sender.sendReject(h, r.rejectReason());
                    return;
                default:
                    dataSequenceError(h, r.task(), r.reason());
                    return;
            }
        }
        ScsiTask t = (ScsiTask) a;
        if (!dataOut.accept(t, h, length)) {
            dataSequenceError(h, t, "F bit missing at the end of a Data-Out sequence");
            return;
        }
        if (t.dataComplete()) {
            if (t.immediate) {
                submit(t);
            } else if (t.ordered) {
                submitReady();
            }
        }
    }

    /**
     * A Data-Out broke the sequence rules: Reject it and end its task (ErrorRecoveryLevel 0 has
     * no recovery R2T), with "incorrect amount of data" sense (RFC 7143 11.4.7.2).
     */
    private void dataSequenceError(ByteBuffer h, ScsiTask t, String reason) {
        connection.warnBadPdu("ITT 0x" + Integer.toHexString(t.itt) + ": " + reason);
        sender.sendReject(h, RejectReason.INVALID_PDU_FIELD);
        terminate(t, LocalSense.DATA_SEQUENCE_ERROR);
    }

    // ---------------------------------------------------------------- submission and early ends

    /**
     * Submits tasks in CmdSN order, each once its data is complete; stops when this thread handed
     * the reading over inside a submit (the next reader submits the rest).
     */
    void submitReady() {
        for (ScsiTask t = window.nextReady(); t != null; t = window.nextReady()) {
            submit(t);
            if (connection.handedOff()) {
                return;
            }
        }
    }

    private void submit(ScsiTask t) {
        int itt = t.itt;   // the task may be answered, and recycled, before submit() returns
        int cmdSn = t.cmdSn;
        t.state = ScsiTask.State.SUBMITTED;
        try {
            host.submit(t.command);
        } catch (RuntimeException e) {
            LOG.warn("{}: submitting ITT 0x{} failed: {}", connection, Integer.toHexString(itt), e.toString());
            host.release(t.command);
            t.command = null;
            local(t, ScsiStatus.CHECK_CONDITION, LocalSense.HOST_UNAVAILABLE);
            t.state = ScsiTask.State.LOCAL_RESPONSE;
            sender.enqueue(t);
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{}: ITT 0x{} CmdSN {} submitted", connection, Integer.toHexString(itt),
                    Integer.toUnsignedString(cmdSn));
        }
    }

    /**
     * Ends a task that has not reached the host because its data cannot be completed: CHECK
     * CONDITION with {@code sense}; Data-Out still arriving for it is discarded.
     */
    void terminate(ScsiTask t, LocalSense sense) {
        window.forget(t);
        if (t.command != null) {
            host.release(t.command);
            t.command = null;
        }
        local(t, ScsiStatus.CHECK_CONDITION, sense);
        t.state = ScsiTask.State.LOCAL_RESPONSE;
        LOG.info("{}: ITT 0x{} terminated: {}", connection, Integer.toHexString(t.itt), sense);
        sender.enqueue(t);
        submitReady();
    }

    /** Aborts a task that never reached the host: no response (RFC 7143 11.5.1), its slot back. */
    void abortUnsubmitted(ScsiTask t) {
        tasks.remove(t.itt, t);
        window.forget(t);
        if (t.command != null) {
            host.release(t.command);
            t.command = null;
        }
        LOG.debug("{}: ITT 0x{} aborted before submission", connection, Integer.toHexString(t.itt));
        window.release(t);
        pool.recycle(t);
    }
}
