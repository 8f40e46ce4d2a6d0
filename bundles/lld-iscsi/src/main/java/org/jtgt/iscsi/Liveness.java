package org.jtgt.iscsi;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a connection is still worth keeping (RFC 7143 11.18, 11.19): NOP-Out pings answered,
 * an idle connection pinged with a NOP-In, and the watchdog's once-a-second check, which closes a
 * connection that has not logged in within the login timeout, whose initiator stopped reading,
 * whose Data-Out stalled, or that did not answer a ping. {@link #nopOut} runs on the reader;
 * {@link #check} on the watchdog.
 */
final class Liveness {
    private static final Logger LOG = LoggerFactory.getLogger(Liveness.class);

    private final IscsiConnection connection;
    private final IscsiTarget target;
    private final TargetSettings settings;
    private final PduDecoder decoder;
    private final CommandWindow window;
    private final DataOutSequencer dataOut;
    private final ResponseSender sender;
    private final long acceptedNanos = System.nanoTime();
    private volatile long lastReceiveNanos = System.nanoTime();
    private volatile int pingTtt = Bhs.RESERVED_TAG;
    private volatile long pingSentNanos;

    Liveness(IscsiConnection connection, IscsiTarget target, TargetSettings settings, PduDecoder decoder,
            CommandWindow window, DataOutSequencer dataOut, ResponseSender sender) {
        this.connection = connection;
        this.target = target;
        this.settings = settings;
        this.decoder = decoder;
        this.window = window;
        this.dataOut = dataOut;
        this.sender = sender;
    }

    /** The reader has read a PDU. */
    void received() {
        lastReceiveNanos = System.nanoTime();
    }

    /** A NOP-Out: the answer to our ping, or a ping to echo (RFC 7143 11.18). */
    void nopOut(ByteBuffer h) {
        int itt = Bhs.itt(h);
        int ttt = Bhs.word20(h);
        if (!Bhs.immediate(h)) {
            int cmdSn = Bhs.cmdSn(h);
            if (!window.consume(cmdSn)) {
                LOG.debug("{}: NOP-Out with CmdSN {} outside {} dropped", connection, Integer.toUnsignedString(cmdSn),
                        window.describe());
                return;
            }
        }
        if (itt == Bhs.RESERVED_TAG) {
            if (ttt != Bhs.RESERVED_TAG && ttt == pingTtt) {
                pingTtt = Bhs.RESERVED_TAG;   // the answer to our ping
            }
            return;
        }
        // A ping: echo ITT, LUN and data (RFC 7143 11.19).
        ControlPdu nop = new ControlPdu(Bhs.NOP_IN, Bhs.FINAL_BIT);
        nop.view.putLong(Bhs.LUN_OFFSET, Bhs.lun(h));
        nop.view.putInt(Bhs.ITT_OFFSET, itt);
        nop.view.putInt(Bhs.WORD20_OFFSET, Bhs.RESERVED_TAG);
        int length = Math.min(decoder.dataLength(), connection.params().initiatorMaxRecvDataSegmentLength);
        if (length > 0) {
            byte[] data = new byte[length];
            decoder.data().get(decoder.dataOffset(), data, 0, length);
            nop.data = data;
        }
        sender.enqueue(nop);
    }

    /** A target ping of an idle connection (RFC 7143 11.19: ITT reserved, TTT ours). */
    void ping() {
        if (!connection.isFullFeature() || pingTtt != Bhs.RESERVED_TAG) {
            return;
        }
        int ttt = 0x4E4F5000 | (int) (System.nanoTime() & 0xFFF);
        pingTtt = ttt;
        pingSentNanos = System.nanoTime();
        ControlPdu nop = new ControlPdu(Bhs.NOP_IN, Bhs.FINAL_BIT);
        nop.statSnMode = ControlPdu.CARRY_STAT_SN;
        nop.view.putInt(Bhs.ITT_OFFSET, Bhs.RESERVED_TAG);
        nop.view.putInt(Bhs.WORD20_OFFSET, ttt);
        sender.enqueue(nop);
    }

    /** Called by the watchdog once a second. */
    void check(long now) {
        if (!connection.isFullFeature()) {
            if (now - acceptedNanos > TimeUnit.MILLISECONDS.toNanos(settings.loginTimeoutMillis())
                    && connection.closeReason() == null) {
                LOG.warn("{}: login not complete after {} ms; closing", connection, settings.loginTimeoutMillis());
                connection.abort("login timeout");
            }
            return;
        }
        long started = sender.writeStartedNanos();
        if (started >= 0 && now - started > TimeUnit.MILLISECONDS.toNanos(settings.stalledWriteMillis())) {
            LOG.warn("{}: the initiator has not read for {} ms; closing", connection, settings.stalledWriteMillis());
            connection.abort("initiator stopped reading");
            return;
        }
        if (dataOutStalled(now)) {
            return;
        }
        if (pingTtt != Bhs.RESERVED_TAG) {
            if (now - pingSentNanos > TimeUnit.MILLISECONDS.toNanos(settings.nopInTimeoutMillis())) {
                LOG.warn("{}: no answer to NOP-In within {} ms; closing", connection, settings.nopInTimeoutMillis());
                connection.abort("NOP-In timeout");
            }
        } else if (settings.nopInIntervalMillis() > 0
                && now - lastReceiveNanos > TimeUnit.MILLISECONDS.toNanos(settings.nopInIntervalMillis())) {
            ping();
        }
    }

    /**
     * The Data-Out timeout: a task still held here (not yet handed to the host) whose data has
     * not moved for {@link IscsiTarget#dataOutTimeoutMillis()} ends the connection
     * ({@link DataOutSequencer#stalledTask}). At ErrorRecoveryLevel 0 the only recovery is session
     * recovery (RFC 7143 7.1.5, 7.1.4.4); asking for the data again (a recovery R2T, 7.1.4.1)
     * needs level 1. Ending the connection releases the stalled task's slot and data exactly
     * once, with every other task it held ({@link IscsiConnection}'s shutdown); the daemon has
     * seen none of them.
     *
     * @return true if it closed the connection
     */
    private boolean dataOutStalled(long now) {
        long timeout = target.dataOutTimeoutMillis();
        if (timeout <= 0) {
            return false;
        }
        ScsiTask stalled = dataOut.stalledTask(now, TimeUnit.MILLISECONDS.toNanos(timeout));
        if (stalled == null || connection.closeReason() != null) {
            return false;
        }
        LOG.warn("{}: no Data-Out for ITT 0x{} ({} of {} bytes received) within {} ms; closing the connection "
                + "(ErrorRecoveryLevel 0)", connection, Integer.toHexString(stalled.itt), stalled.nextOffset,
                stalled.edtl, timeout);
        connection.abort("Data-Out timeout");
        return true;
    }
}
