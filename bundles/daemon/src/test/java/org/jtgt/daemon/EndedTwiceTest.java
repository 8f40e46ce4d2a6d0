package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import java.nio.ByteBuffer;

import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.EventType;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/**
 * A daemon bug that ends a task twice (it is answered while its WRITE is still at the store,
 * whose completion then ends it again; or two threads complete it) is refused at the second
 * attempt: one answer, the task back in the pool once (twice, two later commands would share
 * it), the error logged. The first attempt is made by the test here; the daemon made one in CI
 * once (see {@link SenseReason#ANSWERED_LATER}).
 */
class EndedTwiceTest {
    private final HeldStore store = new HeldStore(Harness.SIZE);
    private final Harness h = Harness.withLun(new Harness(), LunOptions.DEFAULT, store);

    /** A WRITE held at the store; returns its task. */
    private CommandContext heldWrite(long[] cid) throws InterruptedException {
        cid[0] = h.send(Harness.NEXUS, 0, Cdbs.rw10(true, 0, 1, 0), DataDirection.WRITE, 512,
                Harness.pattern(512, 1), TaskAttribute.SIMPLE);
        store.awaitHeld(1);
        return (CommandContext) store.oldest().done();
    }

    private long answers(long cid) {
        return h.endpoint.sent.stream().map(ByteBuffer::wrap)
                .filter(b -> EventHeader.type(b, 0) == EventType.UEVENT_CMD_RSP.code() && CmdRspEvent.cid(b, 0) == cid)
                .count();
    }

    private static void pooledOnce(TaskRouter router) {
        CommandContext a = router.take();
        CommandContext b = router.take();
        assertNotSame(a, b, "the task went back to the pool once");
    }

    @Test
    void aStoreCompletionAfterTheTaskWasEndedAnswersNothing() throws Exception {
        long[] cid = new long[1];
        CommandContext c = heldWrite(cid);
        TaskRouter router = c.router;
        router.finish(c, SenseReason.NONE);   // ended while its write is at the store
        h.awaitAnswer(cid[0]);
        store.releaseAll();                  // the completion: the second attempt, refused
        assertEquals(1, answers(cid[0]));
        pooledOnce(router);
    }

    @Test
    void aSecondCompletionOfAPendingTaskAnswersNothing() throws Exception {
        long[] cid = new long[1];
        CommandContext c = heldWrite(cid);
        TaskRouter router = c.router;
        c.complete(SenseReason.NONE);
        c.complete(SenseReason.INTERNAL_TARGET_FAILURE);
        assertEquals(1, answers(cid[0]));
        assertEquals(0, CmdRspEvent.status(h.answer(cid[0]), 0), "the first attempt's answer stands");
        pooledOnce(router);
    }
}
