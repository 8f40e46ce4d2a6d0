package org.jtgt.iscsi;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A tiny raw iSCSI initiator for tests: builds PDUs byte by byte, so tests can also send what a
 * real initiator never would. Blocking socket with a read timeout; not thread-safe.
 */
final class TestInitiator implements AutoCloseable {
    static final String INITIATOR = "iqn.2026-11.org.jtgt:raw-initiator";

    /** One received PDU. */
    static final class Pdu {
        final ByteBuffer bhs;
        final byte[] data;

        Pdu(byte[] bhs, byte[] data) {
            this.bhs = ByteBuffer.wrap(bhs);
            this.data = data;
        }

        int opcode() { return bhs.get(0) & 0x3F; }
        int flags() { return bhs.get(1) & 0xFF; }
        int byte2() { return bhs.get(2) & 0xFF; }
        int byte3() { return bhs.get(3) & 0xFF; }
        int itt() { return bhs.getInt(16); }
        int ttt() { return bhs.getInt(20); }
        int statSn() { return bhs.getInt(24); }
        int expCmdSn() { return bhs.getInt(28); }
        int maxCmdSn() { return bhs.getInt(32); }
        int word36() { return bhs.getInt(36); }
        int bufferOffset() { return bhs.getInt(40); }
        int word44() { return bhs.getInt(44); }
        int loginStatus() { return bhs.getShort(36) & 0xFFFF; }
        int tsih() { return bhs.getShort(14) & 0xFFFF; }

        Map<String, String> keys() {
            return parseKeys(data);
        }

        @Override
        public String toString() {
            return "PDU opcode 0x" + Integer.toHexString(opcode()) + " flags 0x" + Integer.toHexString(flags())
                    + " itt 0x" + Integer.toHexString(itt()) + " data " + data.length;
        }
    }

    /** The outcome of one SCSI command. */
    static final class Result {
        int status = -1;
        byte[] sense = new byte[0];
        byte[] data = new byte[0];
        int residualFlags;
        int residual;
        int dataInPdus;
        int r2ts;
    }

    final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final CRC32C crc = new CRC32C();
    int itt = 0x1000;
    int cmdSn = 100;
    int expStatSn;
    int maxCmdSn;
    int expCmdSnFromTarget;
    boolean headerDigest;
    boolean dataDigest;
    int targetMaxRecv = 8192;
    int firstBurstLength = 65536;
    int maxBurstLength = 262144;
    boolean immediateData = true;
    boolean initialR2T = true;
    private static final java.util.concurrent.atomic.AtomicInteger QUALIFIERS = new java.util.concurrent.atomic.AtomicInteger();
    /** A random-format ISID (RFC 7143 10.12.5) with a per-instance qualifier: distinct sessions. */
    volatile int lastTtt;
    long isid = 0x800000120000L | QUALIFIERS.incrementAndGet() & 0xFFFF;

    TestInitiator(int port) throws IOException {
        this(port, null);
    }

    /** Connects from {@code localAddress} (another loopback address, 127.0.0.2, is another source), or any. */
    TestInitiator(int port, String localAddress) throws IOException {
        socket = new Socket();
        if (localAddress != null) {
            socket.bind(new InetSocketAddress(localAddress, 0));
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    // ------------------------------------------------------------------ raw PDUs

    static byte[] header(int opcode, int flags) {
        byte[] h = new byte[48];
        h[0] = (byte) opcode;
        h[1] = (byte) flags;
        return h;
    }

    void send(byte[] bhs, byte[] data) throws IOException {
        send(bhs, new byte[0], data);
    }

    void send(byte[] bhs, byte[] ahs, byte[] data) throws IOException {
        ByteBuffer h = ByteBuffer.wrap(bhs);
        h.put(4, (byte) (ahs.length / 4));
        int len = data == null ? 0 : data.length;
        h.put(5, (byte) (len >> 16));
        h.put(6, (byte) (len >> 8));
        h.put(7, (byte) len);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(bhs);
        b.write(ahs);
        if (headerDigest) {
            crc.reset();
            crc.update(bhs);
            crc.update(ahs);
            writeLe(b, (int) crc.getValue());
        }
        if (len > 0) {
            b.write(data);
            int pad = -len & 3;
            b.write(new byte[pad]);
            if (dataDigest) {
                crc.reset();
                crc.update(data);
                crc.update(new byte[pad]);
                writeLe(b, (int) crc.getValue());
            }
        }
        out.write(b.toByteArray());
        out.flush();
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    private static void writeLe(ByteArrayOutputStream b, int v) {
        b.write(v);
        b.write(v >>> 8);
        b.write(v >>> 16);
        b.write(v >>> 24);
    }

    Pdu read() throws IOException {
        byte[] bhs = new byte[48];
        in.readFully(bhs);
        int ahs = (bhs[4] & 0xFF) * 4;
        int len = (bhs[5] & 0xFF) << 16 | (bhs[6] & 0xFF) << 8 | bhs[7] & 0xFF;
        byte[] ahsBytes = new byte[ahs];
        in.readFully(ahsBytes);
        if (headerDigest) {
            byte[] d = new byte[4];
            in.readFully(d);
            crc.reset();
            crc.update(bhs);
            crc.update(ahsBytes);
            int expected = (int) crc.getValue();
            int got = d[0] & 0xFF | (d[1] & 0xFF) << 8 | (d[2] & 0xFF) << 16 | (d[3] & 0xFF) << 24;
            if (expected != got) {
                throw new IOException("header digest mismatch from the target");
            }
        }
        byte[] data = new byte[len];
        in.readFully(data);
        int pad = -len & 3;
        in.readFully(new byte[pad]);
        if (dataDigest && len > 0) {
            in.readFully(new byte[4]);
        }
        Pdu p = new Pdu(bhs, data);
        lastTtt = p.ttt();
        int op = p.opcode();
        if (op != 0x25 || (p.flags() & 0x01) != 0) {
            if (op != 0x31 && !(op == 0x20 && p.itt() == -1)) {
                expStatSn = p.statSn() + 1;
            }
        }
        expCmdSnFromTarget = p.expCmdSn();
        maxCmdSn = p.maxCmdSn();
        return p;
    }

    /** Reads, skipping target NOP-In pings (answered) and async messages. */
    Pdu next() throws IOException {
        while (true) {
            Pdu p = read();
            if (p.opcode() == 0x20 && p.itt() == -1) {
                byte[] h = header(0x40, 0x80);
                ByteBuffer b = ByteBuffer.wrap(h);
                b.putInt(16, -1);
                b.putInt(20, p.ttt());
                b.putInt(24, cmdSn);
                b.putInt(28, expStatSn);
                send(h, null);
                continue;
            }
            return p;
        }
    }

    /** True if the target closed the connection (EOF or reset) within the socket timeout. */
    boolean closedByTarget() {
        try {
            while (true) {
                read();
            }
        } catch (EOFException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;   // connection reset
        }
    }

    // ------------------------------------------------------------------ login

    static byte[] text(Map<String, String> keys) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Map.Entry<String, String> e : keys.entrySet()) {
            byte[] kv = (e.getKey() + "=" + e.getValue()).getBytes(StandardCharsets.UTF_8);
            b.write(kv, 0, kv.length);
            b.write(0);
        }
        return b.toByteArray();
    }

    /** Text from {@code key, value, key, value, ...}: keys may repeat, as no map lets them. */
    static byte[] text(String... kv) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < kv.length; i += 2) {
            byte[] pair = (kv[i] + "=" + kv[i + 1]).getBytes(StandardCharsets.UTF_8);
            b.write(pair, 0, pair.length);
            b.write(0);
        }
        return b.toByteArray();
    }

    static Map<String, String> parseKeys(byte[] data) {
        Map<String, String> m = new LinkedHashMap<>();
        String s = new String(data, StandardCharsets.UTF_8);
        for (String kv : s.split("\0")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                m.merge(kv.substring(0, eq), kv.substring(eq + 1), (a, b) -> a + "\n" + b);
            }
        }
        return m;
    }

    Pdu loginRequest(int flags, int tsih, Map<String, String> keys) throws IOException {
        return loginRequest(flags, tsih, text(keys));
    }

    Pdu loginRequest(int flags, int tsih, byte[] text) throws IOException {
        byte[] h = header(0x43, flags);
        ByteBuffer b = ByteBuffer.wrap(h);
        for (int i = 0; i < 6; i++) {
            h[8 + i] = (byte) (isid >>> (40 - 8 * i));
        }
        b.putShort(14, (short) tsih);
        b.putInt(16, itt);
        b.putInt(24, cmdSn);
        b.putInt(28, expStatSn);
        send(h, text);
        return read();
    }

    /** Operational-stage-only login to FFP; returns the final response. */
    Pdu login(String targetName, Map<String, String> extra) throws IOException {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("InitiatorName", INITIATOR);
        if (targetName == null) {
            keys.put("SessionType", "Discovery");
        } else {
            keys.put("SessionType", "Normal");
            keys.put("TargetName", targetName);
        }
        keys.put("HeaderDigest", "None");
        keys.put("DataDigest", "None");
        keys.put("ImmediateData", "Yes");
        keys.put("InitialR2T", "No");
        keys.put("MaxRecvDataSegmentLength", "65536");
        keys.putAll(extra);
        Pdu rsp = loginRequest(0x80 | 1 << 2 | 3, 0, keys);
        if (rsp.loginStatus() == 0 && (rsp.flags() & 0x80) != 0 && (rsp.flags() & 3) == 3) {
            apply(rsp.keys());
            itt++;
        }
        return rsp;
    }

    void apply(Map<String, String> keys) {
        headerDigest = "CRC32C".equals(keys.get("HeaderDigest"));
        dataDigest = "CRC32C".equals(keys.get("DataDigest"));
        if (keys.containsKey("MaxRecvDataSegmentLength") && keys.get("MaxRecvDataSegmentLength").matches("[0-9]+")) {
            targetMaxRecv = Integer.parseInt(keys.get("MaxRecvDataSegmentLength"));
        }
        if (keys.containsKey("FirstBurstLength") && keys.get("FirstBurstLength").matches("[0-9]+")) {
            firstBurstLength = Integer.parseInt(keys.get("FirstBurstLength"));
        }
        if (keys.containsKey("MaxBurstLength") && keys.get("MaxBurstLength").matches("[0-9]+")) {
            maxBurstLength = Integer.parseInt(keys.get("MaxBurstLength"));
        }
        if (keys.containsKey("ImmediateData")) {
            immediateData = "Yes".equals(keys.get("ImmediateData"));
        }
        if (keys.containsKey("InitialR2T")) {
            initialR2T = "Yes".equals(keys.get("InitialR2T"));
        }
    }

    // ------------------------------------------------------------------ SCSI

    byte[] commandHeader(long lun, byte[] cdb, int edtl, boolean read, boolean write, boolean fin) {
        byte[] h = header(0x01, (fin ? 0x80 : 0) | (read ? 0x40 : 0) | (write ? 0x20 : 0) | 1);
        ByteBuffer b = ByteBuffer.wrap(h);
        b.putLong(8, lun);
        b.putInt(16, itt);
        b.putInt(20, edtl);
        b.putInt(24, cmdSn);
        b.putInt(28, expStatSn);
        System.arraycopy(cdb, 0, h, 32, Math.min(16, cdb.length));
        return h;
    }

    /** Runs one command the way a conforming initiator does: immediate, unsolicited and solicited data. */
    Result command(long lun, byte[] cdb, int edtl, boolean read, byte[] dataOut) throws IOException {
        boolean write = dataOut != null;
        int myItt = itt++;
        int immediate = 0;
        if (write && immediateData) {
            immediate = Math.min(Math.min(firstBurstLength, targetMaxRecv), dataOut.length);
        }
        int unsolicitedEnd = write && !initialR2T ? Math.min(firstBurstLength, edtl) : immediate;
        boolean fin = !write || initialR2T || unsolicitedEnd <= immediate;
        byte[] h = commandHeader(lun, cdb, edtl, read, write, fin);
        ByteBuffer.wrap(h).putInt(16, myItt);
        byte[] imm = null;
        if (immediate > 0) {
            imm = new byte[immediate];
            System.arraycopy(dataOut, 0, imm, 0, immediate);
        }
        send(h, imm);
        cmdSn++;
        if (write && !fin) {
            sendData(myItt, -1, dataOut, immediate, unsolicitedEnd, lun);
        }
        Result r = new Result();
        ByteArrayOutputStream dataIn = new ByteArrayOutputStream();
        while (true) {
            Pdu p = next();
            if (p.itt() != myItt) {
                throw new IOException("unexpected " + p);
            }
            if (p.opcode() == 0x31) {   // R2T
                r.r2ts++;
                sendData(myItt, p.ttt(), dataOut, p.bufferOffset(), p.bufferOffset() + p.word44(), lun);
            } else if (p.opcode() == 0x25) {   // Data-In
                r.dataInPdus++;
                if (p.bufferOffset() != dataIn.size()) {
                    throw new IOException("Data-In offset " + p.bufferOffset() + ", expected " + dataIn.size());
                }
                dataIn.write(p.data);
                if ((p.flags() & 0x01) != 0) {
                    r.status = p.byte3();
                    r.residualFlags = p.flags() & 0x06;
                    r.residual = p.word44();
                    break;
                }
            } else if (p.opcode() == 0x21) {   // SCSI Response
                r.status = p.byte3();
                r.residualFlags = p.flags() & 0x06;
                r.residual = p.word44();
                if (p.data.length >= 2) {
                    int sl = (p.data[0] & 0xFF) << 8 | p.data[1] & 0xFF;
                    r.sense = java.util.Arrays.copyOfRange(p.data, 2, 2 + sl);
                }
                break;
            } else {
                throw new IOException("unexpected " + p);
            }
        }
        r.data = dataIn.toByteArray();
        return r;
    }

    void sendData(int myItt, int ttt, byte[] dataOut, int from, int to, long lun) throws IOException {
        int dataSn = 0;
        for (int off = from; off < to; ) {
            int len = Math.min(targetMaxRecv, to - off);
            byte[] h = header(0x05, off + len == to ? 0x80 : 0);
            ByteBuffer b = ByteBuffer.wrap(h);
            b.putLong(8, lun);
            b.putInt(16, myItt);
            b.putInt(20, ttt);
            b.putInt(28, expStatSn);
            b.putInt(36, dataSn++);
            b.putInt(40, off);
            byte[] d = new byte[len];
            System.arraycopy(dataOut, off, d, 0, len);
            send(h, d);
            off += len;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    // ------------------------------------------------------------------ CDBs

    static byte[] inquiry(int allocation) {
        return new byte[] {0x12, 0, 0, (byte) (allocation >> 8), (byte) allocation, 0};
    }

    static byte[] rw10(boolean write, int lba, int blocks) {
        ByteBuffer b = ByteBuffer.allocate(10);
        b.put(0, (byte) (write ? 0x2A : 0x28)).putInt(2, lba).putShort(7, (short) blocks);
        return b.array();
    }

    static byte[] testUnitReady() {
        return new byte[6];
    }
}
