package org.jtgt.fc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;

import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.fc.initiator.FcInitiator;
import org.jtgt.fc.wire.FcFrameHeader;
import org.jtgt.fc.wire.Fcp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Verified I/O over the whole LUN, residuals, ABTS and LUN RESET in the middle of I/O. */
@Timeout(120)
class FcIoTest {
    private static final int T = FcFabric.TARGET_PORT_ID;
    private static final int BLOCK = FcFixture.BLOCK;

    static byte[] rw10(int opcode, long lba, int blocks) {
        return new byte[] {(byte) opcode, 0, (byte) (lba >>> 24), (byte) (lba >>> 16), (byte) (lba >>> 8), (byte) lba, 0,
                (byte) (blocks >>> 8), (byte) blocks, 0};
    }

    /** Writes the whole LUN with random data in {@code chunk}-byte commands, reads it back in other sizes. */
    private static void verifyWholeLun(FcFixture f, FcInitiator i, int chunk, long seed) throws Exception {
        byte[] image = new byte[(int) f.lunBytes];
        new Random(seed).nextBytes(image);
        for (int off = 0; off < image.length; off += chunk) {
            byte[] data = java.util.Arrays.copyOfRange(image, off, off + chunk);
            FcInitiator.ScsiResult r = i.command(T, 0, rw10(0x2A, off / BLOCK, chunk / BLOCK), data, 0);
            assertEquals(0, r.status(), "WRITE(10) at " + off);
            assertEquals(0, r.residual());
        }
        int readChunk = chunk / 2;
        for (int off = 0; off < image.length; off += readChunk) {
            FcInitiator.ScsiResult r = i.command(T, 0, rw10(0x28, off / BLOCK, readChunk / BLOCK), null, readChunk);
            assertEquals(0, r.status(), "READ(10) at " + off);
            assertEquals(readChunk, r.dataLength());
            assertArrayEquals(java.util.Arrays.copyOfRange(image, off, off + readChunk), r.data(), "data at " + off);
        }
    }

    @Test
    void wholeLunWriteReadVerify() throws Exception {
        try (FcFixture f = new FcFixture(1 << 20); FcInitiator i = f.login()) {
            FcInitiator.ScsiResult cap = i.command(T, 0, new byte[] {0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0}, null, 8);
            assertEquals(0, cap.status());
            ByteBuffer c = ByteBuffer.wrap(cap.data());
            assertEquals((1 << 20) / BLOCK - 1, c.getInt(0));
            assertEquals(BLOCK, c.getInt(4));
            verifyWholeLun(f, i, 64 * 1024, 1);
            // beyond the end: CHECK CONDITION with sense, ILLEGAL REQUEST
            FcInitiator.ScsiResult past = i.command(T, 0, rw10(0x28, (1 << 20) / BLOCK, 1), null, BLOCK);
            assertEquals(2, past.status());
            assertTrue(past.sense().length >= 14);
            assertEquals(5, past.sense()[2] & 0x0F);
            assertEquals(0, f.connections().get(0).droppedFrames());
        }
    }

    @Test
    void smallNegotiatedFrameSizeSplitsData() throws Exception {
        try (FcFixture f = new FcFixture(256 * 1024, Map.of("frameSize", 512)); FcInitiator i = f.login()) {
            verifyWholeLun(f, i, 32 * 1024, 2);
        }
    }

    @Test
    void aWriteLongerThanTheBurstTakesOneXferRdyPerBurst() throws Exception {
        try (FcFixture f = new FcFixture(1 << 20, Map.of("maxBurstLength", 16 * 1024, "frameSize", 1024));
                FcInitiator i = f.login()) {
            byte[] data = new byte[64 * 1024 + 3 * BLOCK];
            new Random(9).nextBytes(data);
            FcInitiator.Exchange x = i.submit(T, 0, rw10(0x2A, 64, data.length / BLOCK), data, 0, TaskAttribute.SIMPLE);
            assertEquals(0, i.await(x).status());
            assertEquals(5, x.xferRdys(), "16 KiB bursts for 65.5 KiB");
            FcInitiator.ScsiResult r = i.command(T, 0, rw10(0x28, 64, data.length / BLOCK), null, data.length);
            assertArrayEquals(data, r.data());
            FcInitiator.Exchange small = i.submit(T, 0, rw10(0x2A, 0, 8), new byte[8 * BLOCK], 0, TaskAttribute.SIMPLE);
            assertEquals(0, i.await(small).status());
            assertEquals(1, small.xferRdys());
            verifyWholeLun(f, i, 64 * 1024, 8);
            assertEquals(0, f.connections().get(0).droppedFrames());
        }
    }

    @Test
    void residualUnderAndOver() throws Exception {
        try (FcFixture f = new FcFixture(1 << 20); FcInitiator i = f.login()) {
            FcInitiator.ScsiResult under = i.command(T, 0, rw10(0x28, 0, 1), null, 2 * BLOCK);
            assertEquals(0, under.status());
            assertTrue(under.underflow());
            assertEquals(BLOCK, under.residual());
            FcInitiator.ScsiResult over = i.command(T, 0, rw10(0x28, 0, 2), null, BLOCK);
            assertTrue(over.overflow(), "flags " + over.flags());
            assertEquals(-BLOCK, over.residual());
        }
    }

    @Test
    void abortTaskDuringIo() throws Exception {
        try (FcFixture f = new FcFixture(4 << 20); FcInitiator i = f.login()) {
            int chunk = 64 * 1024;
            byte[] data = new byte[chunk];
            new Random(3).nextBytes(data);
            List<FcInitiator.Exchange> xs = new ArrayList<>();
            for (int k = 0; k < 48; k++) {
                xs.add(i.submit(T, 0, rw10(0x2A, (long) k * chunk / BLOCK, chunk / BLOCK), data, 0,
                        TaskAttribute.SIMPLE));
            }
            int accepted = 0;
            for (int k = 8; k < 48; k += 8) {
                int answer = i.abort(T, xs.get(k).oxId());
                assertTrue(answer == FcFrameHeader.R_CTL_BLS_BA_ACC || answer == FcFrameHeader.R_CTL_BLS_BA_RJT);
                if (answer == FcFrameHeader.R_CTL_BLS_BA_ACC) {
                    accepted++;
                }
            }
            int good = 0;
            int aborted = 0;
            for (FcInitiator.Exchange x : xs) {
                try {
                    assertEquals(0, i.await(x).status());
                    good++;
                } catch (FcInitiator.AbortedException e) {
                    aborted++;
                }
            }
            assertEquals(48, good + aborted);
            assertEquals(accepted, aborted, "every BA_ACC ended its exchange without FCP_RSP");
            assertEquals(0, i.unexpectedFrames(), "no exchange answered twice");
            FcLoginTest.eventually(() -> f.connections().get(0).openExchanges() == 0, "exchanges cleaned up");
            // the link and the LUN still work
            FcInitiator.ScsiResult r = i.command(T, 0, rw10(0x28, 0, chunk / BLOCK), null, chunk);
            assertEquals(0, r.status());
            assertArrayEquals(data, r.data());
        }
    }

    @Test
    void abortOfAnExchangeWaitingForDataAndOfOneThatCompleted() throws Exception {
        try (FcFixture f = new FcFixture(1 << 20); FcInitiator i = f.login()) {
            byte[] data = new byte[8 * BLOCK];
            new Random(5).nextBytes(data);
            FcInitiator.Exchange held = i.submit(T, 0, rw10(0x2A, 0, 8), data, 0, TaskAttribute.SIMPLE, true);
            FcLoginTest.eventually(() -> i.xferRdyHeld(held), "FCP_XFER_RDY");
            FcInitiator.ScsiResult other = i.command(T, 0, rw10(0x28, 0, 1), null, BLOCK);
            assertEquals(0, other.status(), "another exchange is not disturbed by one waiting for data");
            assertEquals(FcFrameHeader.R_CTL_BLS_BA_ACC, i.abort(T, held.oxId()));
            assertThrows(FcInitiator.AbortedException.class, () -> i.await(held));
            FcLoginTest.eventually(() -> f.connections().get(0).openExchanges() == 0, "exchange cleaned up");
            FcInitiator.ScsiResult done = i.command(T, 0, rw10(0x2A, 0, 8), data, 0);
            assertEquals(0, done.status());
            // an exchange that has completed is unknown: BA_RJT
            assertEquals(FcFrameHeader.R_CTL_BLS_BA_RJT, i.abort(T, 0x7777));
            FcInitiator.ScsiResult r = i.command(T, 0, rw10(0x28, 0, 8), null, data.length);
            assertArrayEquals(data, r.data());
        }
    }

    @Test
    void lunResetDuringIo() throws Exception {
        try (FcFixture f = new FcFixture(4 << 20); FcInitiator i = f.login(); FcInitiator other = f.login()) {
            int chunk = 64 * 1024;
            byte[] data = new byte[chunk];
            new Random(4).nextBytes(data);
            List<FcInitiator.Exchange> xs = new ArrayList<>();
            for (int k = 0; k < 32; k++) {
                xs.add(k % 2 == 0
                        ? i.submit(T, 0, rw10(0x2A, (long) k * chunk / BLOCK, chunk / BLOCK), data, 0, TaskAttribute.SIMPLE)
                        : i.submit(T, 0, rw10(0x28, 0, chunk / BLOCK), null, chunk, TaskAttribute.SIMPLE));
            }
            List<FcInitiator.Exchange> held = new ArrayList<>();
            for (int k = 0; k < 4; k++) {
                held.add(i.submit(T, 0, rw10(0x2A, (long) (40 + k) * chunk / BLOCK, chunk / BLOCK), data, 0,
                        TaskAttribute.SIMPLE, true));
            }
            assertEquals(Fcp.RSP_TMF_COMPLETE, i.taskManagement(T, 0, Fcp.TMF_LUN_RESET));
            // Every command sent before the reset ended before its answer: with FCP_RSP, or
            // terminated by it (FCP-4 12.3): nothing is left open, nothing waits for a timeout.
            int answered = 0;
            int terminated = 0;
            List<FcInitiator.Exchange> all = new ArrayList<>(xs);
            all.addAll(held);
            for (FcInitiator.Exchange x : all) {
                assertTrue(x.result().isDone(), "exchange " + Integer.toHexString(x.oxId()) + " still open");
                try {
                    x.result().get();
                    answered++;
                } catch (ExecutionException e) {
                    assertTrue(e.getCause() instanceof FcInitiator.AbortedException, e.toString());
                    terminated++;
                }
            }
            assertEquals(all.size(), answered + terminated);
            assertEquals(terminated, i.terminatedByTaskManagement());
            assertTrue(terminated >= held.size(), "the writes waiting for data were terminated");
            assertEquals(0, i.openExchanges());
            assertEquals(0, i.unexpectedFrames());
            assertTrue(answered > 0, "commands before the reset were answered");
            FcLoginTest.eventually(() -> f.connections().stream().allMatch(c -> c.openExchanges() == 0),
                    "exchanges cleaned up");
            // every nexus sees the reset as a unit attention, then works on
            FcInitiator.ScsiResult ua = other.command(T, 0, new byte[6], null, 0);
            assertEquals(2, ua.status());
            assertEquals(6, ua.sense()[2] & 0x0F, "UNIT ATTENTION");
            FcFixture.clearUnitAttention(i);
            FcFixture.clearUnitAttention(other);
            FcInitiator.ScsiResult r = other.command(T, 0, rw10(0x28, 0, chunk / BLOCK), null, chunk);
            assertEquals(0, r.status());
            assertEquals(Fcp.RSP_TMF_INCORRECT_LUN, i.taskManagement(T, FcInitiator.lun(9), Fcp.TMF_LUN_RESET));
            assertEquals(Fcp.RSP_TMF_NOT_SUPPORTED, i.taskManagement(T, 0, Fcp.TMF_LUN_RESET | Fcp.TMF_CLEAR_TASK_SET));
        }
    }
}
