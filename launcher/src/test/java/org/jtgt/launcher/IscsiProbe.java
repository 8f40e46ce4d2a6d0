package org.jtgt.launcher;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The least iSCSI initiator that sends the commands libiscsi's tools do not (REPORT and SET
 * TARGET PORT GROUPS): an operational-stage login without digests, then one SCSI command at a
 * time to LUN 0, a write's data as immediate data. Blocking, with a read timeout.
 */
final class IscsiProbe implements AutoCloseable {
    /** The outcome of one command: SCSI status, Data-In bytes, fixed sense (or none). */
    record Result(int status, byte[] data, byte[] sense) {
        int senseKey() {
            return sense.length > 2 ? sense[2] & 0x0F : -1;
        }

        int asc() {
            return sense.length > 12 ? sense[12] & 0xFF : -1;
        }

        int ascq() {
            return sense.length > 13 ? sense[13] & 0xFF : -1;
        }

        @Override
        public String toString() {
            return "status " + status + (sense.length > 0 ? String.format(" sense %X/%02X/%02X", senseKey(), asc(), ascq())
                    : "") + ", " + data.length + " bytes";
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private int itt = 1;
    private int cmdSn = 1;
    private int expStatSn;

    private IscsiProbe(String host, int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress(host, port), 5_000);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** A normal session of {@code initiator} with {@code target}; fails unless the login succeeds. */
    static IscsiProbe login(int port, String initiator, String target, int isidQualifier) throws IOException {
        return login("127.0.0.1", port, initiator, target, isidQualifier);
    }

    /** As {@link #login(int, String, String, int)} with a portal on {@code host}. */
    static IscsiProbe login(String host, int port, String initiator, String target, int isidQualifier)
            throws IOException {
        IscsiProbe p = new IscsiProbe(host, port);
        byte[] h = new byte[48];
        h[0] = 0x43;   // Login Request, immediate
        h[1] = (byte) 0x87;   // T, CSG operational, NSG full feature phase
        byte[] isid = {(byte) 0x80, 0, 0x12, 0x34, (byte) (isidQualifier >>> 8), (byte) isidQualifier};
        System.arraycopy(isid, 0, h, 8, 6);
        ByteBuffer b = ByteBuffer.wrap(h);
        b.putInt(16, p.itt++);
        b.putInt(24, p.cmdSn);
        String keys = "InitiatorName=" + initiator + "\0TargetName=" + target + "\0SessionType=Normal\0"
                + "HeaderDigest=None\0DataDigest=None\0ImmediateData=Yes\0InitialR2T=No\0"
                + "MaxRecvDataSegmentLength=65536\0";
        p.send(h, keys.getBytes(StandardCharsets.UTF_8));
        byte[][] rsp = p.read();
        int status = (rsp[0][36] & 0xFF) << 8 | rsp[0][37] & 0xFF;
        if ((rsp[0][0] & 0x3F) != 0x23 || status != 0 || (rsp[0][1] & 0x83) != 0x83) {
            p.close();
            throw new IOException("login refused: opcode 0x" + Integer.toHexString(rsp[0][0] & 0x3F) + ", status 0x"
                    + Integer.toHexString(status) + ", flags 0x" + Integer.toHexString(rsp[0][1] & 0xFF));
        }
        p.expStatSn = ByteBuffer.wrap(rsp[0]).getInt(24) + 1;
        return p;
    }

    /** A command that reads up to {@code expected} bytes (or transfers nothing, for 0). */
    Result read(byte[] cdb, int expected) throws IOException {
        return command(cdb, expected, null);
    }

    /** A command that writes {@code data}. */
    Result write(byte[] cdb, byte[] data) throws IOException {
        return command(cdb, data.length, data);
    }

    private Result command(byte[] cdb, int expected, byte[] dataOut) throws IOException {
        byte[] h = new byte[48];
        h[0] = 0x01;
        h[1] = (byte) (0x80 | (dataOut != null ? 0x20 : expected > 0 ? 0x40 : 0) | 0x01);   // F, W or R, SIMPLE
        ByteBuffer b = ByteBuffer.wrap(h);
        int task = itt++;
        b.putInt(16, task);
        b.putInt(20, expected);
        b.putInt(24, cmdSn++);
        b.putInt(28, expStatSn);
        System.arraycopy(cdb, 0, h, 32, cdb.length);
        send(h, dataOut);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        while (true) {
            byte[][] pdu = read();
            int opcode = pdu[0][0] & 0x3F;
            if (opcode == 0x20) {
                continue;   // NOP-In
            }
            if (ByteBuffer.wrap(pdu[0]).getInt(16) != task) {
                throw new IOException("a PDU for another task: opcode 0x" + Integer.toHexString(opcode));
            }
            if (opcode == 0x25) {   // Data-In
                data.write(pdu[1]);
                if ((pdu[0][1] & 0x01) != 0) {
                    expStatSn = ByteBuffer.wrap(pdu[0]).getInt(24) + 1;
                    return new Result(pdu[0][3] & 0xFF, data.toByteArray(), new byte[0]);
                }
            } else if (opcode == 0x21) {   // SCSI Response
                expStatSn = ByteBuffer.wrap(pdu[0]).getInt(24) + 1;
                byte[] sense = new byte[0];
                if (pdu[1].length >= 2) {
                    int n = (pdu[1][0] & 0xFF) << 8 | pdu[1][1] & 0xFF;
                    sense = Arrays.copyOfRange(pdu[1], 2, 2 + n);
                }
                return new Result(pdu[0][3] & 0xFF, data.toByteArray(), sense);
            } else {
                throw new IOException("unexpected PDU opcode 0x" + Integer.toHexString(opcode));
            }
        }
    }

    private void send(byte[] bhs, byte[] data) throws IOException {
        int len = data == null ? 0 : data.length;
        bhs[5] = (byte) (len >>> 16);
        bhs[6] = (byte) (len >>> 8);
        bhs[7] = (byte) len;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(bhs);
        if (len > 0) {
            b.write(data);
            b.write(new byte[-len & 3]);
        }
        out.write(b.toByteArray());
        out.flush();
    }

    /** {BHS, data segment}. */
    private byte[][] read() throws IOException {
        byte[] bhs = new byte[48];
        in.readFully(bhs);
        in.readFully(new byte[(bhs[4] & 0xFF) * 4]);
        int len = (bhs[5] & 0xFF) << 16 | (bhs[6] & 0xFF) << 8 | bhs[7] & 0xFF;
        byte[] data = new byte[len];
        in.readFully(data);
        in.readFully(new byte[-len & 3]);
        return new byte[][] {bhs, data};
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
