package org.jtgt.fc.initiator;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.jtgt.api.fc.initiator.FcInitiator;
import org.jtgt.api.fc.initiator.FcInitiator.ScsiResult;
import org.jtgt.fc.wire.FcFrameHeader;

/**
 * {@code java -cp jtgt-api.jar:jtgt-fc-initiator.jar org.jtgt.fc.initiator.FcInitiatorCli [HOST:PORT]
 * [--lun N] [--verify BLOCKS|all] [--lba START] [--chunk BLOCKS]}: logs in to the emulated fabric,
 * lists the FCP ports the name server knows, logs in to the first, prints INQUIRY and READ
 * CAPACITY(16) of the LUN and, with {@code --verify}, writes BLOCKS blocks from LBA START (all:
 * to the end of the LUN) with WRITE(16) in commands of up to {@code --chunk} blocks (default
 * 1024), reads them back with READ(16) in commands of another size and checks every block. Each
 * block carries its LBA and a run number, so a block read from the wrong place does not verify.
 * Exit status 0 on success, 2 no target, 3 login refused, 4 a command failed, 5 a block differs.
 */
public final class FcInitiatorCli {
    /** Bytes of a block's header: LBA (8), run (8); the rest is xorshift64 seeded by both. */
    static final int PATTERN_HEADER = 16;

    private FcInitiatorCli() {
    }

    public static void main(String[] args) throws Exception {
        int status = run(args, System.out);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** The whole run; returns the exit status. */
    public static int run(String[] args, PrintStream out) throws Exception {
        String portal = "127.0.0.1:3225";
        int lunNumber = 0;
        String verify = null;
        long start = 0;
        int chunk = 1024;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--lun": lunNumber = Integer.parseInt(args[++i]); break;
                case "--verify": verify = args[++i]; break;
                case "--lba": start = Long.parseLong(args[++i]); break;
                case "--chunk": chunk = Integer.parseInt(args[++i]); break;
                default: portal = args[i];
            }
        }
        if (chunk < 2) {
            throw new IllegalArgumentException("--chunk must be at least 2 blocks");
        }
        int colon = portal.lastIndexOf(':');
        String host = portal.substring(0, colon);
        int port = Integer.parseInt(portal.substring(colon + 1));
        long lun = FcInitiator.lun(lunNumber);
        try (FcInitiator fc = FcInitiator.connect(host, port, 0x10000000c9a0b001L, 0x20000000c9a0b001L)) {
            int id = fc.flogi();
            out.println("FLOGI: N_Port ID " + FcFrameHeader.portId(id));
            List<Integer> targets = fc.discoverTargets();
            out.println("name server, FCP ports: " + targets.stream().map(FcFrameHeader::portId).toList());
            if (targets.isEmpty()) {
                return 2;
            }
            int did = targets.get(0);
            if (!fc.plogi(did).accepted() || !fc.prli(did).accepted()) {
                out.println("PLOGI/PRLI to " + FcFrameHeader.portId(did) + " rejected");
                return 3;
            }
            for (int k = 0; k < 5 && fc.command(did, lun, new byte[6], null, 0).status() != 0; k++) {
                // TEST UNIT READY until the unit attentions of a new nexus are reported
            }
            ScsiResult inq = fc.command(did, lun, new byte[] {0x12, 0, 0, 0, 96, 0}, null, 96);
            out.println("INQUIRY: status " + inq.status() + ", "
                    + new String(inq.data(), 8, 28, StandardCharsets.US_ASCII).trim());
            byte[] rc16 = new byte[16];
            rc16[0] = (byte) 0x9E;
            rc16[1] = 0x10;
            rc16[13] = 32;
            ScsiResult cap = fc.command(did, lun, rc16, null, 32);
            if (cap.status() != 0) {
                out.println("READ CAPACITY(16): status " + cap.status());
                return 4;
            }
            ByteBuffer c = ByteBuffer.wrap(cap.data());
            long blocks = c.getLong(0) + 1;
            int blockSize = c.getInt(8);
            out.println("READ CAPACITY(16): " + blocks + " blocks of " + blockSize + " bytes");
            if (verify != null) {
                long count = verify.equals("all") ? blocks - start : Long.parseLong(verify);
                if (start < 0 || count <= 0 || start + count > blocks) {
                    out.println("--lba " + start + " --verify " + verify + " is outside the " + blocks + " blocks");
                    return 4;
                }
                int status = verify(fc, did, lun, start, count, blockSize, chunk, out);
                if (status != 0) {
                    return status;
                }
            }
            fc.logo(did);
            return 0;
        }
    }

    private static int verify(FcInitiator fc, int did, long lun, long start, long count, int blockSize, int chunk,
            PrintStream out) throws Exception {
        long run = System.nanoTime();
        int writes = 0;
        for (long lba = start; lba < start + count; lba += chunk) {
            int n = (int) Math.min(chunk, start + count - lba);
            ByteBuffer data = ByteBuffer.allocate(n * blockSize);
            for (int b = 0; b < n; b++) {
                fill(data, b * blockSize, blockSize, lba + b, run);
            }
            ScsiResult r = fc.command(did, lun, rw16(0x8A, lba, n), data.array(), 0);
            writes++;
            if (r.status() != 0) {
                out.println("WRITE(16) at LBA " + lba + ": status " + r.status());
                return 4;
            }
        }
        // Read back in commands of another size, so no read lines up with the writes.
        int readChunk = chunk - chunk / 4;
        int reads = 0;
        long verified = 0;
        for (long lba = start; lba < start + count; lba += readChunk) {
            int n = (int) Math.min(readChunk, start + count - lba);
            ScsiResult r = fc.command(did, lun, rw16(0x88, lba, n), null, n * blockSize);
            reads++;
            if (r.status() != 0 || r.dataLength() != n * blockSize) {
                out.println("READ(16) at LBA " + lba + ": status " + r.status() + ", " + r.dataLength() + " bytes");
                return 4;
            }
            ByteBuffer data = ByteBuffer.wrap(r.data());
            for (int b = 0; b < n; b++) {
                String bad = check(data, b * blockSize, blockSize, lba + b, run);
                if (bad != null) {
                    out.println("verify " + count + " blocks: MISMATCH at " + bad);
                    return 5;
                }
                verified++;
            }
        }
        out.println("verify " + count + " blocks: OK (" + verified + " blocks verified, LBA " + start + ".."
                + (start + count - 1) + ", " + writes + " WRITE(16), " + reads + " READ(16))");
        return 0;
    }

    static byte[] rw16(int opcode, long lba, int blocks) {
        ByteBuffer b = ByteBuffer.allocate(16);
        b.put(0, (byte) opcode).putLong(2, lba).putInt(10, blocks);
        return b.array();
    }

    /** Writes the block of {@code lba} for {@code run} at {@code offset}. */
    public static void fill(ByteBuffer b, int offset, int blockSize, long lba, long run) {
        b.putLong(offset, lba).putLong(offset + 8, run);
        long x = seed(lba, run);
        for (int o = PATTERN_HEADER; o + 8 <= blockSize; o += 8) {
            x = next(x);
            b.putLong(offset + o, x);
        }
    }

    /** Null if the block at {@code offset} is the one {@link #fill} wrote, else what differs. */
    public static String check(ByteBuffer b, int offset, int blockSize, long lba, long run) {
        if (b.getLong(offset) != lba || b.getLong(offset + 8) != run) {
            return "LBA " + lba + ": holds the block of LBA " + b.getLong(offset) + " of run " + b.getLong(offset + 8);
        }
        long x = seed(lba, run);
        for (int o = PATTERN_HEADER; o + 8 <= blockSize; o += 8) {
            x = next(x);
            if (b.getLong(offset + o) != x) {
                return "LBA " + lba + ": byte " + o + " differs";
            }
        }
        return null;
    }

    private static long seed(long lba, long run) {
        long s = lba * 0x9E3779B97F4A7C15L ^ run;
        return s == 0 ? 0x2545F4914F6CDD1DL : s;
    }

    private static long next(long x) {
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        return x;
    }
}
