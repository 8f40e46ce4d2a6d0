package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.store.AsyncBackingStore;
import org.jtgt.api.store.IoCompletion;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/**
 * ABORT TASK of a READ that is really in flight, through the whole path (iSCSI driver, host
 * queue, shared-memory ring, daemon, a store that holds the read): no Data-In and no SCSI
 * Response ever come for the aborted task, and the Task Management Function Response comes only
 * once the store has given the read back (RFC 7143 11.5.1, 4.2.3.3).
 */
class InFlightAbortTest {
    /** LUN 1 in the single-level SAM format the initiator puts in the BHS. */
    private static final long LUN1 = 0x0001_0000_0000_0000L;

    /** A memory store that holds reads until released; everything else runs at once. */
    static final class HeldReads implements AsyncBackingStore {
        private final byte[] bytes;
        private final Deque<Runnable> held = new ArrayDeque<>();

        HeldReads(int size) {
            bytes = new byte[size];
        }

        @Override public boolean blocks() { return false; }
        @Override public long size() { return bytes.length; }
        @Override public String describe() { return "held reads"; }
        @Override public void close() { }
        @Override public void flush() { }

        @Override
        public void read(long offset, ByteBuffer dst) {
            dst.put(bytes, (int) offset, dst.remaining());
        }

        @Override
        public void write(long offset, ByteBuffer src, boolean fua) {
            src.get(bytes, (int) offset, src.remaining());
        }

        @Override
        public synchronized void submitRead(long offset, ByteBuffer dst, IoCompletion done) {
            held.add(() -> {
                read(offset, dst);
                done.ioDone(null);
            });
            notifyAll();
        }

        @Override
        public void submitWrite(long offset, ByteBuffer src, boolean fua, IoCompletion done) {
            write(offset, src, fua);
            done.ioDone(null);
        }

        @Override
        public void submitFlush(IoCompletion done) {
            done.ioDone(null);
        }

        @Override
        public void submitDeallocate(long offset, long length, IoCompletion done) {
            done.ioDone(null);
        }

        @Override
        public void submitWork(StoreWork work, IoCompletion done) {
            try {
                work.run();
                done.ioDone(null);
            } catch (IOException e) {
                done.ioDone(e);
            }
        }

        synchronized void awaitHeld(int n) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (held.size() < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no read reached the store");
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }

        void releaseAll() {
            while (true) {
                Runnable r;
                synchronized (this) {
                    r = held.poll();
                }
                if (r == null) {
                    return;
                }
                r.run();
            }
        }
    }

    @Test
    void anAbortedReadGetsNoResponseAndTheTmfAnswersOnlyOnceTheStoreGaveItBack() throws Exception {
        HeldReads store = new HeldReads(1 << 20);
        try (IscsiFixture fixture = new IscsiFixture(1 << 20); TestInitiator c = new TestInitiator(fixture.port)) {
            fixture.daemon.addLun(IscsiFixture.TARGET, 1, store, IscsiFixture.BLOCK, LunOptions.DEFAULT);
            assertEquals(0, c.login(IscsiFixture.TARGET, java.util.Map.of()).loginStatus());
            for (int i = 0; i < 5 && c.command(LUN1, TestInitiator.testUnitReady(), 0, false, null).status != ScsiStatus.GOOD; i++) {
                // unit attentions of a new nexus
            }
            int readItt = c.itt++;
            int readCmdSn = c.cmdSn;
            byte[] read = c.commandHeader(LUN1, TestInitiator.rw10(false, 8, 1), 512, true, false, true);
            ByteBuffer.wrap(read).putInt(16, readItt);
            c.send(read, null);
            c.cmdSn++;
            store.awaitHeld(1);

            int tmfItt = c.itt++;
            byte[] tmf = TestInitiator.header(0x42 | 0x40, 0x80 | 1);   // immediate ABORT TASK
            ByteBuffer.wrap(tmf).putLong(8, LUN1).putInt(16, tmfItt).putInt(20, readItt).putInt(24, c.cmdSn)
                    .putInt(28, c.expStatSn).putInt(32, readCmdSn);
            c.send(tmf, null);
            c.socket.setSoTimeout(300);
            assertThrows(SocketTimeoutException.class, c::next, "nothing may come while the store holds the read");
            c.socket.setSoTimeout(10_000);

            store.releaseAll();
            TestInitiator.Pdu rsp = c.next();
            assertEquals(0x22, rsp.opcode(), "the TMF response, not Data-In or a SCSI Response for the aborted READ: " + rsp);
            assertEquals(tmfItt, rsp.itt());
            assertEquals(0, rsp.byte2(), "FUNCTION COMPLETE");
            // the session goes on, and the next PDU is the next command's answer
            assertEquals(ScsiStatus.GOOD, c.command(LUN1, TestInitiator.testUnitReady(), 0, false, null).status);
        }
    }
}
