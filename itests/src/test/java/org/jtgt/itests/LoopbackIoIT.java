package org.jtgt.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import javax.inject.Inject;

import org.jtgt.api.loopback.LoopbackInitiator;
import org.jtgt.api.loopback.LoopbackSession;
import org.jtgt.api.loopback.ScsiResult;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.TargetAdmin;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * SCSI commands through the whole stack (loopback → host queue → shm transport → daemon →
 * memory store) against the default target, checked byte for byte.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class LoopbackIoIT {
    private static final String INITIATOR = "iqn.2026-11.org.jtgt.itests:loopback-io";
    private static final int BLOCK_SIZE = 512;
    private static final long BLOCKS = JtgtOptions.DEFAULT_TARGET_SIZE / BLOCK_SIZE;
    private static final long LAST_LBA = BLOCKS - 1;

    @Inject
    private LoopbackInitiator initiator;

    @Inject
    private TargetAdmin admin;

    private LoopbackSession session;

    @Configuration
    public Option[] config() {
        return new Option[] {JtgtOptions.framework()};
    }

    @Before
    public void login() throws Exception {
        Scsi.awaitTarget(admin, JtgtOptions.DEFAULT_TARGET);
        session = initiator.login(INITIATOR, JtgtOptions.DEFAULT_TARGET);
        Scsi.awaitReady(session);
    }

    @After
    public void logout() {
        if (session != null) {
            session.close();
        }
    }

    @Test
    public void testUnitReadyIsGood() throws IOException {
        ScsiResult result = Scsi.good(session, Cdbs.testUnitReady(), null, null);
        assertEquals(0, result.dataInLength());
    }

    /** SPC-4 6.6.2: direct-access block device, response data format 2, printable identification. */
    @Test
    public void inquiryDescribesADiskWithPrintableIdentification() throws IOException {
        ByteBuffer in = ByteBuffer.allocate(96);
        ScsiResult result = Scsi.good(session, Cdbs.inquiry(96), null, in);
        assertTrue("standard INQUIRY data is at least 36 bytes: " + result, result.dataInLength() >= 36);
        byte[] data = in.array();
        assertEquals("peripheral device type: direct access block device", 0, data[0] & 0x1F);
        assertEquals("peripheral qualifier: connected", 0, (data[0] & 0xE0) >>> 5);
        assertEquals("response data format", 2, data[3] & 0x0F);
        assertTrue("additional length", (data[4] & 0xFF) >= 31);
        for (int i = 8; i < 36; i++) {
            assertTrue("T10 vendor / product / revision must be printable ASCII, byte " + i + " = " + data[i],
                    data[i] >= 0x20 && data[i] <= 0x7E);
        }
        String vendor = new String(data, 8, 8, StandardCharsets.US_ASCII).strip();
        assertTrue("vendor identification is empty", !vendor.isEmpty());
    }

    /** SBC-4 5.20: the last LBA and the block length give the configured size. */
    @Test
    public void readCapacity10MatchesTheConfiguredSize() throws IOException {
        ByteBuffer in = ByteBuffer.allocate(8);
        ScsiResult result = Scsi.good(session, Cdbs.readCapacity10(), null, in);
        assertEquals(8, result.dataInLength());
        long lastLba = in.getInt(0) & 0xFFFFFFFFL;
        int blockLength = in.getInt(4);
        assertEquals("block length", BLOCK_SIZE, blockLength);
        assertEquals("capacity", JtgtOptions.DEFAULT_TARGET_SIZE, (lastLba + 1) * blockLength);
    }

    /** Distinct patterns written with WRITE (10) and WRITE (16), read back crosswise. */
    @Test
    public void writtenBlocksReadBackByteForByte() throws IOException {
        long[][] extents = {
            {0, 1}, {1, 8}, {100, 16}, {4095, 2}, {BLOCKS / 2 - 3, 64}, {LAST_LBA - 7, 8}, {LAST_LBA, 1}};
        int generation = 1;
        for (long[] extent : extents) {
            long lba = extent[0];
            int blocks = (int) extent[1];
            boolean sixteen = generation % 2 == 0;
            write(sixteen, lba, blocks, generation);
            verify(!sixteen, lba, blocks, generation);
            generation++;
        }
        // Overwrite the first extents with a new generation: no stale data comes back.
        write(true, 0, 9, generation);
        verify(false, 0, 9, generation);
        verify(true, 100, 16, 3);
        verify(false, LAST_LBA, 1, 7);
    }

    @Test
    public void readBeyondTheLastBlockIsLbaOutOfRange() throws IOException {
        byte[][] cdbs = {Cdbs.read10(LAST_LBA + 1, 1), Cdbs.read10(LAST_LBA, 2), Cdbs.read16(BLOCKS + 1000, 1),
                Cdbs.write16(LAST_LBA + 1, 1)};
        for (byte[] cdb : cdbs) {
            boolean write = (cdb[0] & 0xFF) == Cdbs.WRITE_16;
            ByteBuffer out = write ? ByteBuffer.allocate(BLOCK_SIZE) : null;
            ByteBuffer in = write ? null : ByteBuffer.allocate(2 * BLOCK_SIZE);
            ScsiResult result = session.execute(0, cdb, out, in);
            // SBC-4 4.5: LOGICAL BLOCK ADDRESS OUT OF RANGE
            Scsi.checkCondition(result, cdb, SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        }
    }

    @Test
    public void unknownOpcodeIsInvalidCommandOperationCode() throws IOException {
        byte[] cdb = new byte[10];
        cdb[0] = (byte) 0xFF; // vendor specific; jtgt implements none
        ScsiResult result = session.execute(0, cdb, null, null);
        Scsi.checkCondition(result, cdb, SenseKey.ILLEGAL_REQUEST, 0x20, 0x00);
    }

    @Test
    public void loginToAMissingTargetFails() {
        String missing = "iqn.2026-11.org.jtgt.itests:no-such-target";
        try {
            LoopbackSession nope = initiator.login(INITIATOR, missing);
            nope.close();
            fail("login to " + missing + " succeeded");
        } catch (IOException expected) {
            assertTrue("the message should name the target: " + expected.getMessage(),
                    expected.getMessage() != null && !expected.getMessage().isEmpty());
        }
    }

    private void write(boolean sixteen, long lba, int blocks, int generation) throws IOException {
        ByteBuffer out = ByteBuffer.allocate(blocks * BLOCK_SIZE);
        BlockPattern.fill(out, BLOCK_SIZE, lba, blocks, generation, 0);
        out.flip();
        byte[] cdb = sixteen ? Cdbs.write16(lba, blocks) : Cdbs.write10(lba, blocks);
        ScsiResult result = Scsi.good(session, cdb, out, null);
        assertEquals("residual of " + Scsi.name(cdb), 0, result.residual());
    }

    private void verify(boolean sixteen, long lba, int blocks, int generation) throws IOException {
        ByteBuffer in = ByteBuffer.allocate(blocks * BLOCK_SIZE);
        byte[] cdb = sixteen ? Cdbs.read16(lba, blocks) : Cdbs.read10(lba, blocks);
        ScsiResult result = Scsi.good(session, cdb, null, in);
        assertEquals("Data-In of " + Scsi.name(cdb), blocks * BLOCK_SIZE, result.dataInLength());
        assertEquals("buffer position after " + Scsi.name(cdb), blocks * BLOCK_SIZE, in.position());
        ByteBuffer expected = ByteBuffer.allocate(blocks * BLOCK_SIZE);
        BlockPattern.fill(expected, BLOCK_SIZE, lba, blocks, generation, 0);
        for (int i = 0; i < blocks; i++) {
            in.position(i * BLOCK_SIZE);
            assertNull(BlockPattern.verify(in, BLOCK_SIZE, lba + i, generation, 0));
        }
        assertArrayEquals("bytes of " + blocks + " blocks at LBA " + lba, expected.array(), in.array());
    }
}
