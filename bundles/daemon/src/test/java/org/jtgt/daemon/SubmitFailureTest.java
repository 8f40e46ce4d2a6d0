package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;

import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.store.IoCompletion;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An asynchronous store's submit that throws, against its contract (it should complete with the
 * failure): the command is answered exactly once, with INTERNAL TARGET FAILURE, whether the
 * completion never comes, came during the submit, or comes after the answer (then it is refused
 * and answers nothing); the unit goes on serving commands.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)   // a leaked write order hangs
class SubmitFailureTest {
    /** Writes: completes inline first (or not), keeps the completion, then throws. */
    static final class ThrowingStore extends HeldStore {
        boolean completeFirst;
        IoCompletion kept;

        ThrowingStore() {
            super(Harness.SIZE);
            holding = false;
        }

        @Override
        public void submitWrite(long offset, ByteBuffer src, boolean fua, IoCompletion done) {
            if (offset != 0) {
                super.submitWrite(offset, src, fua, done);
                return;
            }
            kept = done;
            if (completeFirst) {
                done.ioDone(null);
            }
            throw new IllegalStateException("a store that throws from its submit");
        }
    }

    private static void answeredOnceWithInternalFailure(Harness h, Harness.Result r) {
        r.assertSense(SenseKey.HARDWARE_ERROR, 0x44, 0x00);
        long answers = h.endpoint.sent.stream()
                .filter(b -> org.jtgt.api.event.EventHeader.type(ByteBuffer.wrap(b), 0)
                        == org.jtgt.api.event.EventType.UEVENT_CMD_RSP.code())
                .filter(b -> org.jtgt.api.event.CmdRspEvent.cid(ByteBuffer.wrap(b), 0) == r.cid())
                .count();
        assertEquals(1, answers, "one answer for cid " + r.cid());
    }

    /**
     * The unit still takes writes and reads: its task set holds nothing for the failed command,
     * and the failed WRITE's share of the write order was given back (a COMPARE AND WRITE, which
     * excludes every other writer, would wait for it forever).
     */
    private static void unitGoesOn(Harness h) {
        byte[] data = Harness.pattern(4096, 3);
        h.write(0, Cdbs.rw10(true, 16, 8, 0), data).assertGood();
        Harness.Result r = h.read(0, Cdbs.rw10(false, 16, 8, 0), 4096);
        r.assertGood();
        assertArrayEquals(data, r.data());
        byte[] both = new byte[1024];
        System.arraycopy(data, 0, both, 0, 512);
        h.write(0, CompareAndWriteTest.compareAndWrite(16, 1, 0), both).assertGood();
        assertEquals(0, h.daemon.nexus(Harness.HOST, Harness.NEXUS).target().lun(0).tasks().size(), "no task left in the set");
    }

    /** The submit throws without completing ({@code false}), or after completing inline ({@code true}). */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aSubmitThatThrowsIsAnsweredOnce(boolean completeFirst) {
        ThrowingStore store = new ThrowingStore();
        store.completeFirst = completeFirst;
        Harness h = Harness.withLun(new Harness(), LunOptions.DEFAULT, store);
        answeredOnceWithInternalFailure(h, h.write(0, Cdbs.rw10(true, 0, 1, 0), Harness.pattern(512, 1)));
        unitGoesOn(h);
    }

    @Test
    void aCompletionAfterTheAnswerIsRefusedAndAnswersNothing() {
        ThrowingStore store = new ThrowingStore();
        Harness h = Harness.withLun(new Harness(), LunOptions.DEFAULT, store);
        Harness.Result r = h.write(0, Cdbs.rw10(true, 0, 1, 0), Harness.pattern(512, 1));
        int sent = h.endpoint.sent.size();
        assertThrows(IllegalStateException.class, () -> store.kept.ioDone(null));
        assertEquals(sent, h.endpoint.sent.size(), "the late completion sent nothing");
        answeredOnceWithInternalFailure(h, r);
        unitGoesOn(h);
    }
}
