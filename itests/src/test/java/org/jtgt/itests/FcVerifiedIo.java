package org.jtgt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;

import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.fc.initiator.FcInitiator;
import org.jtgt.api.fc.initiator.FcInitiator.Exchange;
import org.jtgt.api.fc.initiator.FcInitiator.ScsiResult;

/**
 * One emulated FC initiator port (the exported {@link FcInitiator} API) logged in to the FC
 * target, with LUN 0's blocks written and checked as {@link BlockPattern}s: every block names
 * its LBA, generation and writer, so a block that lands in the wrong place, is stale or torn does
 * not verify.
 */
final class FcVerifiedIo implements AutoCloseable {
    static final int BLOCK = 512;
    static final long LUN0 = FcInitiator.lun(0);
    /** SAM-5 5.14: sense key UNIT ATTENTION. */
    static final int UNIT_ATTENTION = 6;

    final FcInitiator fc;
    final int writer;
    int target;
    long blocks;

    private FcVerifiedIo(FcInitiator fc, int writer) {
        this.fc = fc;
        this.writer = writer;
    }

    /** Connects; nothing logged in yet. */
    static FcVerifiedIo connect(int port, int writer) throws IOException {
        FcInitiator fc = FcInitiator.connect("127.0.0.1", port, 0x2100_0024_ff7f_0000L + writer,
                0x2000_0024_ff7f_0000L + writer);
        fc.timeoutMillis = 20_000;
        return new FcVerifiedIo(fc, writer);
    }

    /** FLOGI, name server discovery, PLOGI and PRLI with the first FCP port listed; the ports listed. */
    List<Integer> login() throws Exception {
        int id = fc.flogi();
        assertTrue("N_Port ID " + Integer.toHexString(id), id > 0 && id < 0xFFFF00);
        List<Integer> targets = fc.discoverTargets();
        assertTrue("the name server lists no FCP port", !targets.isEmpty());
        target = targets.get(0);
        assertTrue("PLOGI", fc.plogi(target).accepted());
        assertTrue("PRLI", fc.prli(target).accepted());
        awaitReady();
        ByteBuffer cap = ByteBuffer.wrap(good(readCapacity16(), null, 32).data());
        blocks = cap.getLong(0) + 1;
        assertEquals(BLOCK, cap.getInt(8));
        return targets;
    }

    /** TEST UNIT READY until GOOD; each CHECK CONDITION before must be a UNIT ATTENTION. Returns their ASCs. */
    List<Integer> awaitReady() throws Exception {
        List<Integer> ascs = new java.util.ArrayList<>();
        for (int attempt = 0; attempt < 5; attempt++) {
            ScsiResult r = fc.command(target, LUN0, Cdbs.testUnitReady(), null, 0);
            if (r.status() == 0) {
                return ascs;
            }
            assertEquals("TEST UNIT READY status", 2, r.status());
            assertTrue("sense " + r.sense().length, r.sense().length >= 14);
            assertEquals("sense key of TEST UNIT READY", UNIT_ATTENTION, r.sense()[2] & 0x0F);
            ascs.add(r.sense()[12] & 0xFF);
        }
        throw new AssertionError("TEST UNIT READY still not GOOD after 5 tries");
    }

    ScsiResult good(byte[] cdb, byte[] out, int in) throws Exception {
        ScsiResult r = fc.command(target, LUN0, cdb, out, in);
        assertEquals(Scsi.name(cdb) + " status", 0, r.status());
        return r;
    }

    Exchange submit(byte[] cdb, byte[] out, int in, boolean holdData) throws IOException {
        return fc.submit(target, LUN0, cdb, out, in, TaskAttribute.SIMPLE, holdData);
    }

    /** The blocks {@code [lba, lba+n)} of {@code generation}, as this writer writes them. */
    byte[] pattern(long lba, int n, int generation) {
        ByteBuffer b = ByteBuffer.allocate(n * BLOCK);
        BlockPattern.fill(b, BLOCK, lba, n, generation, writer);
        return b.array();
    }

    /**
     * Checks {@code n} blocks read from {@code lba}: each must be one of {@code generations}.
     *
     * @return the number of blocks verified
     */
    int verify(byte[] data, long lba, int n, int... generations) {
        ByteBuffer b = ByteBuffer.wrap(data);
        for (int i = 0; i < n; i++) {
            b.position(i * BLOCK);
            String first = null;
            for (int g : generations) {
                String why = BlockPattern.verify(b, BLOCK, lba + i, g, writer);
                if (why == null) {
                    first = null;
                    break;
                }
                if (first == null) {
                    first = why;
                }
            }
            if (first != null) {
                throw new AssertionError("block does not verify: " + first);
            }
        }
        return n;
    }

    /**
     * Writes {@code [lba, lba+count)} with {@code generation} in WRITE(16)s of {@code writeChunk}
     * blocks, then reads it back in READ(16)s of {@code readChunk} blocks, {@code depth} exchanges
     * in flight, and verifies every block.
     *
     * @return the blocks verified
     */
    long writeAndVerify(long lba, long count, int generation, int writeChunk, int readChunk, int depth)
            throws Exception {
        ArrayDeque<Exchange> inFlight = new ArrayDeque<>();
        for (long at = lba; at < lba + count; at += writeChunk) {
            int n = (int) Math.min(writeChunk, lba + count - at);
            if (inFlight.size() == depth) {
                assertEquals("WRITE(16)", 0, fc.await(inFlight.poll()).status());
            }
            inFlight.add(submit(Cdbs.write16(at, n), pattern(at, n, generation), 0, false));
        }
        while (!inFlight.isEmpty()) {
            assertEquals("WRITE(16)", 0, fc.await(inFlight.poll()).status());
        }
        return readAndVerify(lba, count, readChunk, depth, generation);
    }

    /** Reads {@code [lba, lba+count)} and verifies every block against {@code generations}. */
    long readAndVerify(long lba, long count, int readChunk, int depth, int... generations) throws Exception {
        ArrayDeque<Exchange> inFlight = new ArrayDeque<>();
        ArrayDeque<long[]> ranges = new ArrayDeque<>();
        long verified = 0;
        for (long at = lba; at < lba + count; at += readChunk) {
            int n = (int) Math.min(readChunk, lba + count - at);
            if (inFlight.size() == depth) {
                verified += checkRead(inFlight.poll(), ranges.poll(), generations);
            }
            inFlight.add(submit(Cdbs.read16(at, n), null, n * BLOCK, false));
            ranges.add(new long[] {at, n});
        }
        while (!inFlight.isEmpty()) {
            verified += checkRead(inFlight.poll(), ranges.poll(), generations);
        }
        return verified;
    }

    private int checkRead(Exchange x, long[] range, int... generations) throws Exception {
        ScsiResult r = fc.await(x);
        assertEquals("READ(16) at " + range[0], 0, r.status());
        assertEquals("READ(16) bytes at " + range[0], range[1] * BLOCK, r.dataLength());
        return verify(r.data(), range[0], (int) range[1], generations);
    }

    static byte[] readCapacity16() {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) 0x9E;
        cdb[1] = 0x10;
        cdb[13] = 32;
        return cdb;
    }

    @Override
    public void close() {
        fc.close();
    }
}
