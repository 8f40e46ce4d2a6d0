package org.jtgt.fc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link FcSendQueue}: order kept across the ring's wrap and growth; take waits for a producer. */
@Timeout(10)
class FcSendQueueTest {
    @Test
    void keepsOrderWhenItWrapsAndGrows() throws Exception {
        FcSendQueue q = new FcSendQueue(16);
        FcSendQueue.Entry e = new FcSendQueue.Entry();
        int next = 0;
        int taken = 0;
        // Move the head into the middle of the ring, then fill past its capacity.
        for (; next < 10; next++) {
            q.addXferRdy(1, next, next, 0, 0, 0);
        }
        for (; taken < 7; taken++) {
            q.take(e);
            assertEquals(taken, e.oxId);
        }
        for (; next < 100; next++) {
            q.addXferRdy(1, next, next, 0, 0, 0);
        }
        assertEquals(100 - 7, q.size());
        for (; taken < 100; taken++) {
            q.take(e);
            assertEquals(FcSendQueue.XFER_RDY, e.kind);
            assertEquals(taken, e.oxId);
        }
        assertEquals(0, q.size());
    }

    @Test
    void takeWaitsForTheProducerAndDrainKeepsOnlyCompletions() throws Exception {
        FcSendQueue q = new FcSendQueue(16);
        byte[] frame = new byte[4];
        Thread producer = new Thread(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            q.addFrame(frame);
        });
        producer.start();
        FcSendQueue.Entry e = new FcSendQueue.Entry();
        q.take(e);
        producer.join();
        assertEquals(FcSendQueue.FRAME, e.kind);
        assertSame(frame, e.frame);

        FcExchange x = new FcExchange(null);
        q.addFrame(frame);
        q.addCompletion(x);
        q.addStop();
        List<FcExchange> left = new ArrayList<>();
        q.drainCompletions(left);
        assertEquals(List.of(x), left);
        assertEquals(0, q.size());
        q.addStop();
        q.take(e);
        assertEquals(FcSendQueue.STOP, e.kind);
        assertNull(e.frame);
        assertNull(e.exchange);
    }
}
