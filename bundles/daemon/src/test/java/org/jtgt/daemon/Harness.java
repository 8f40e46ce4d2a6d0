package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.event.ItNexusReqEvent;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.event.TskMgmtReqEvent;
import org.jtgt.api.event.TskMgmtRspEvent;
import org.jtgt.api.scsi.SenseData;
import org.jtgt.api.target.LunOptions;

/**
 * Drives a {@link TargetDaemon} with raw event records, as a transport would, and decodes its
 * answers. No OSGi: the daemon is instantiated directly.
 */
final class Harness {
    static final String TARGET = "iqn.2026-11.org.jtgt:test";
    static final String INITIATOR = "iqn.2026-11.org.jtgt:initiator";
    static final int HOST = 3;
    static final long NEXUS = 7;
    static final int BLOCK = 512;
    /** 2048 blocks of 512 bytes. */
    static final int SIZE = 1 << 20;

    final TargetDaemon daemon;
    final FakeEndpoint endpoint;
    final ByteBuffer event = ByteBuffer.allocate(EventHeader.MAX_RECORD_LENGTH);
    MemoryStore store;
    long nextCid = 100;
    int nextTag = 1000;
    /** Send KEVENT_CMD_DONE after each command, as the host side does once it delivered. */
    boolean autoDone = true;

    /** The outcome of one command. */
    record Result(long cid, int tag, int status, byte[] sense, int residual, byte[] data) {
        SenseData senseData() {
            return SenseData.parse(sense, sense.length);
        }

        void assertSense(int key, int asc, int ascq) {
            assertEquals(0x02, status, "CHECK CONDITION expected, sense " + senseData());
            assertEquals(new SenseData(key, asc, ascq), senseData());
        }

        void assertGood() {
            assertEquals(0, status, () -> "GOOD expected, got status " + status + " " + senseData());
        }

        int u8(int i) {
            return data[i] & 0xFF;
        }

        int u16(int i) {
            return u8(i) << 8 | u8(i + 1);
        }

        long u32(int i) {
            return (long) u16(i) << 16 | u16(i + 2);
        }

        long u64(int i) {
            return u32(i) << 32 | u32(i + 4);
        }
    }

    Harness() {
        this(new TargetDaemon());
    }

    Harness(TargetDaemon daemon) {
        this(daemon, new FakeEndpoint(16 << 20));
    }

    /** With an endpoint of the caller's (a fuzz target reuses one across inputs). */
    Harness(TargetDaemon daemon, FakeEndpoint endpoint) {
        this.daemon = daemon;
        this.endpoint = endpoint;
    }

    /** A daemon with the test target, LUN 0 of {@link #SIZE} bytes, and the nexus logged in. */
    static Harness withLun() {
        return withLun(LunOptions.DEFAULT);
    }

    static Harness withLun(LunOptions options) {
        return withLun(new Harness(), options, new MemoryStore(SIZE));
    }

    /** Like {@link #withLun(LunOptions)} with a daemon and a store of the caller's. */
    static Harness withLun(Harness h, LunOptions options, MemoryStore store) {
        h.daemon.createTarget(TARGET);
        h.store = store;
        h.daemon.addLun(TARGET, 0, h.store, BLOCK, options);
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(INITIATOR + ",i,0x23d000000001", TARGET, NEXUS));
        return h;
    }

    void deliver(int length) {
        daemon.onEvent(event, 0, length, endpoint);
    }

    // ---------------- nexus ----------------

    int login(String initiatorPort, String target, long nexusId) {
        return login(initiatorPort, target, nexusId, 2);
    }

    /** Creates a nexus that came in on the target port with this relative identifier. */
    int login(String initiatorPort, String target, long nexusId, int relativePort) {
        byte[] names = (initiatorPort + "\0" + target).getBytes(StandardCharsets.UTF_8);
        return nexusRaw(ItNexusReqEvent.OP_CREATE, nexusId, names, relativePort);
    }

    int nexusRaw(int op, long nexusId, byte[] names) {
        return nexusRaw(op, nexusId, names, 2);
    }

    int nexusRaw(int op, long nexusId, byte[] names, int relativePort) {
        long at = names.length == 0 ? 0 : endpoint.allocate(names.length);
        endpoint.put(at, names);
        ItNexusReqEvent.write(event, 0, HOST, nexusId, op, relativePort, at, names.length);
        int before = endpoint.sent.size();
        deliver(ItNexusReqEvent.LENGTH);
        assertEquals(before + 1, endpoint.sent.size(), "one answer per nexus request");
        ByteBuffer rsp = endpoint.last();
        assertEquals(EventType.UEVENT_IT_NEXUS_RSP.code(), EventHeader.type(rsp, 0));
        assertEquals(nexusId, ItNexusRspEvent.nexusId(rsp, 0));
        assertEquals(op, ItNexusRspEvent.op(rsp, 0));
        return ItNexusRspEvent.result(rsp, 0);
    }

    int logout(long nexusId) {
        return nexusRaw(ItNexusReqEvent.OP_DESTROY, nexusId, new byte[0]);
    }

    // ---------------- commands ----------------

    Result read(long lun, byte[] cdb, int expected) {
        return command(NEXUS, lun, cdb, DataDirection.READ, expected, null);
    }

    Result write(long lun, byte[] cdb, byte[] dataOut) {
        return command(NEXUS, lun, cdb, DataDirection.WRITE, dataOut.length, dataOut);
    }

    Result none(long lun, byte[] cdb) {
        return command(NEXUS, lun, cdb, DataDirection.NONE, 0, null);
    }

    /** Runs one command with a data buffer of {@code expected} bytes. */
    Result command(long nexusId, long lun, byte[] cdb, DataDirection dir, int expected, byte[] dataOut) {
        long at = endpoint.allocate(Math.max(expected, 8));
        endpoint.poison(at, Math.max(expected, 8));
        if (dataOut != null) {
            endpoint.put(at, dataOut);
        }
        long cid = nextCid++;
        int tag = nextTag++;
        CmdReqEvent.write(event, 0, HOST, cid, nexusId, LunAddress.encode((int) lun), cdb, cdb.length, tag,
                expected, at, expected, dir.code(), TaskAttribute.SIMPLE.code(), 0);
        return run(cid, tag, at);
    }

    /**
     * Delivers one command with task attribute {@code attribute} without waiting for its answer
     * (it may be in flight); returns its cid. {@link #answer} finds the answer later.
     */
    long send(long nexusId, long lun, byte[] cdb, DataDirection dir, int expected, byte[] dataOut,
              TaskAttribute attribute) {
        long at = endpoint.allocate(Math.max(expected, 8));
        endpoint.poison(at, Math.max(expected, 8));
        if (dataOut != null) {
            endpoint.put(at, dataOut);
        }
        long cid = nextCid++;
        int tag = nextTag++;
        CmdReqEvent.write(event, 0, HOST, cid, nexusId, LunAddress.encode((int) lun), cdb, cdb.length, tag,
                expected, at, expected, dir.code(), attribute.code(), 0);
        deliver(CmdReqEvent.LENGTH);
        return cid;
    }

    /** The tag {@link #send} gave the command with this cid. */
    int tagOf(long cid) {
        return (int) (nextTag - (nextCid - cid));
    }

    /** The UEVENT_CMD_RSP for {@code cid}, or null if none was sent (yet). */
    ByteBuffer answer(long cid) {
        synchronized (endpoint.sent) {
            int i = indexOfAnswer(cid);
            return i < 0 ? null : ByteBuffer.wrap(endpoint.sent.get(i));
        }
    }

    /** Index in {@link FakeEndpoint#sent} of the first record {@code match} accepts, or -1. */
    private int indexOf(java.util.function.Predicate<ByteBuffer> match) {
        synchronized (endpoint.sent) {
            for (int i = 0; i < endpoint.sent.size(); i++) {
                if (match.test(ByteBuffer.wrap(endpoint.sent.get(i)))) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** Waits (up to 10 s) for the answer to {@code cid}. */
    ByteBuffer awaitAnswer(long cid) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        ByteBuffer b;
        while ((b = answer(cid)) == null && System.nanoTime() - deadline < 0) {
            Thread.onSpinWait();
        }
        assertNotNull(b, "no answer to cid " + cid);
        return b;
    }

    /** Index in {@link FakeEndpoint#sent} of the answer to {@code cid}, or -1. */
    int indexOfAnswer(long cid) {
        return indexOf(b -> EventHeader.type(b, 0) == EventType.UEVENT_CMD_RSP.code() && CmdRspEvent.cid(b, 0) == cid);
    }

    /**
     * Delivers a TMF without waiting for its answer; returns its mid ({@link #tmfAnswer}).
     */
    long sendTmf(long nexusId, TaskManagementFunction f, long lun, int tag) {
        long mid = nextCid++;
        TskMgmtReqEvent.write(event, 0, HOST, mid, nexusId, LunAddress.encode((int) lun), tag, f);
        deliver(TskMgmtReqEvent.LENGTH);
        return mid;
    }

    /** Index in {@link FakeEndpoint#sent} of the answer to TMF {@code mid}, or -1. */
    int indexOfTmfAnswer(long mid) {
        return indexOf(b -> EventHeader.type(b, 0) == EventType.UEVENT_TSK_MGMT_RSP.code() && TskMgmtRspEvent.mid(b, 0) == mid);
    }

    /** Waits (up to 10 s) for the answer to TMF {@code mid}. */
    TmfResponse tmfAnswer(long mid) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        int i;
        while ((i = indexOfTmfAnswer(mid)) < 0 && System.nanoTime() - deadline < 0) {
            Thread.onSpinWait();
        }
        assertTrue(i >= 0, "no answer to TMF " + mid);
        return TmfResponse.fromCode(TskMgmtRspEvent.result(ByteBuffer.wrap(endpoint.sent.get(i)), 0));
    }

    /** Delivers the CMD_REQ already in {@link #event} and decodes the answer. */
    Result run(long cid, int tag, long at) {
        int before = endpoint.sent.size();
        deliver(CmdReqEvent.LENGTH);
        awaitAnswers(before + 1);
        assertEquals(before + 1, endpoint.sent.size(), "one answer per command");
        ByteBuffer rsp = endpoint.last();
        assertEquals(EventType.UEVENT_CMD_RSP.code(), EventHeader.type(rsp, 0));
        assertEquals(HOST, EventHeader.hostNo(rsp, 0));
        assertEquals(cid, CmdRspEvent.cid(rsp, 0));
        byte[] sense = new byte[CmdRspEvent.senseLength(rsp, 0)];
        CmdRspEvent.sense(rsp, 0, sense);
        int n = CmdRspEvent.dataLength(rsp, 0);
        byte[] data = n == 0 ? new byte[0] : endpoint.get(CmdRspEvent.dataOffset(rsp, 0), n);
        if (n > 0) {
            assertEquals(at, CmdRspEvent.dataOffset(rsp, 0), "Data-In goes where the command's buffer is");
        }
        if (autoDone) {
            done(cid);
        }
        return new Result(cid, tag, CmdRspEvent.status(rsp, 0), sense, CmdRspEvent.residual(rsp, 0), data);
    }

    /** Waits (up to 10 s) until {@code count} records were sent: some commands answer later. */
    void awaitAnswers(int count) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (endpoint.sent.size() < count && System.nanoTime() - deadline < 0) {
            Thread.onSpinWait();
        }
    }

    void done(long cid) {
        CmdDoneEvent.write(event, 0, HOST, cid, CmdDoneEvent.DELIVERED);
        int before = endpoint.sent.size();
        deliver(CmdDoneEvent.LENGTH);
        assertEquals(before, endpoint.sent.size(), "KEVENT_CMD_DONE is not answered");
    }

    TmfResponse tmf(TaskManagementFunction f, long lun, int tag) {
        return tmf(NEXUS, f, lun, tag);
    }

    TmfResponse tmf(long nexusId, TaskManagementFunction f, long lun, int tag) {
        return tmfAnswer(sendTmf(nexusId, f, lun, tag));
    }

    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed * 31 + i * 7 + (i >>> 9));
        }
        return b;
    }
}
