package org.jtgt.loopback;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.host.NexusOperation;
import org.jtgt.api.host.NexusResult;
import org.jtgt.api.host.ResponseDelivery;
import org.jtgt.api.loopback.LoopbackSession;
import org.jtgt.api.loopback.ScsiResult;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.scsi.SenseData;
import org.jtgt.api.scsi.SenseKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The driver with its HostService reference set directly to a fake host with a tiny daemon. */
class LoopbackDriverTest {
    private static final String INITIATOR = "iqn.2024-01.org.jtgt:tester";
    private static final byte[] TEST_UNIT_READY = new byte[6];

    private final FakeHost fake = new FakeHost(64);
    private final FakePorts ports = new FakePorts();
    private LoopbackDriver driver;
    private boolean active;

    private void start(long loginMs, long commandMs, long allocateMs) {
        driver = new LoopbackDriver();
        driver.hostService = fake;
        driver.targetPorts = ports;
        driver.activate(config(loginMs, commandMs, allocateMs));
        active = true;
    }

    private void start() {
        start(10_000, 60_000, 5_000);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (active) {
            fake.releaseHeld();
            driver.deactivate();
        }
        fake.shutdown();
    }

    @Test
    void theLoopbackIsATargetPortOfItsOwnAndNexusesCarryItsIdentifier() throws Exception {
        start();
        assertEquals(List.of(LoopbackDriver.PREFERRED_RELATIVE_PORT),
                ports.ports().stream().map(org.jtgt.api.target.TargetPorts.Port::relativeId).toList());
        assertEquals("loopback", ports.ports().get(0).driver());
        try (LoopbackSession s = driver.login(INITIATOR, FakeHost.TARGET)) {
            assertTrue(fake.createRequests.get(0).endsWith("|" + LoopbackDriver.PREFERRED_RELATIVE_PORT),
                    fake.createRequests.toString());
        }
        driver.deactivate();
        active = false;
        assertTrue(ports.ports().isEmpty(), "unregistered when the driver stops");
    }

    static LoopbackDriver.Config config(long loginMs, long commandMs, long allocateMs) {
        return new LoopbackDriver.Config() {
            @Override public Class<? extends Annotation> annotationType() { return LoopbackDriver.Config.class; }
            @Override public long loginTimeoutMillis() { return loginMs; }
            @Override public long logoutTimeoutMillis() { return 2_000; }
            @Override public long commandTimeoutMillis() { return commandMs; }
            @Override public long tmfTimeoutMillis() { return loginMs; }
            @Override public long allocateTimeoutMillis() { return allocateMs; }
        };
    }

    private static byte[] rw10(boolean write, int lba, int blocks) {
        ByteBuffer b = ByteBuffer.allocate(10);
        b.put(0, (byte) (write ? 0x2A : 0x28)).putInt(2, lba).putShort(7, (short) blocks);
        return b.array();
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed * 13 + i * 7 + (i >>> 9));
        }
        return b;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    /** Every command the host handed out was either released unused or done exactly once. */
    private void assertDoneOncePerSubmittedCommand() throws InterruptedException {
        await(() -> fake.doneCalls.size() == fake.submitted.size(), "every submitted command is done");
        for (FakeHost.FakeCommand c : fake.submitted) {
            assertEquals(1, fake.doneCalls.get(c.cid).size(), "done() calls for cid " + c.cid);
            assertNull(c.context, "context cleared before the slot goes back to the pool");
        }
    }

    @Test
    void loginCreatesANexusWithAUniqueInitiatorPort() throws IOException {
        start();
        assertEquals("loopback", fake.driverName);
        LoopbackSession a = driver.login(INITIATOR, FakeHost.TARGET);
        LoopbackSession b = driver.login(INITIATOR, FakeHost.TARGET);
        assertEquals(2, fake.createRequests.size());
        String[] first = fake.createRequests.get(0).split("\\|");
        String[] second = fake.createRequests.get(1).split("\\|");
        assertTrue(first[0].matches(INITIATOR.replace(".", "\\.") + ",i,0x8[0-9a-f]{11}"), first[0]);
        assertFalse(first[0].equals(second[0]), "each session is its own initiator port");
        assertEquals(FakeHost.TARGET, first[1]);
        assertEquals(Integer.toString(LoopbackDriver.PREFERRED_RELATIVE_PORT), first[2], "the registered port");
        assertEquals(2, driver.sessionCount());
        a.close();
        b.close();
        assertEquals(0, driver.sessionCount());
        assertEquals(2, fake.destroyRequests.size());
        assertTrue(fake.nexuses.isEmpty(), "the daemon ended both nexuses");
    }

    @Test
    void loginAnsweredBeforeCreateNexusReturns() throws IOException {
        start();
        fake.answerNexusInline = true;
        try (LoopbackSession s = driver.login(INITIATOR, FakeHost.TARGET)) {
            assertTrue(s.execute(0, TEST_UNIT_READY, null, null).good());
        }
    }

    @Test
    void refusedLoginsNameTheReason() {
        start();
        IOException e = assertThrows(IOException.class, () -> driver.login(INITIATOR, "iqn.2024-01.org.jtgt:nothing"));
        assertTrue(e.getMessage().endsWith("refused: no such target"), e.getMessage());
        fake.deniedInitiators.add(INITIATOR);
        e = assertThrows(IOException.class, () -> driver.login(INITIATOR, FakeHost.TARGET));
        assertTrue(e.getMessage().contains("access denied"), e.getMessage());
        fake.deniedInitiators.clear();
        fake.createResult = NexusResult.EXISTS;
        e = assertThrows(IOException.class, () -> driver.login(INITIATOR, FakeHost.TARGET));
        assertTrue(e.getMessage().contains("exists already"), e.getMessage());
        assertEquals(0, driver.sessionCount());
    }

    @Test
    void unansweredLoginTimesOutAndWithdrawsTheNexus() throws InterruptedException {
        start(200, 60_000, 5_000);
        fake.silent = true;
        IOException e = assertThrows(IOException.class, () -> driver.login(INITIATOR, FakeHost.TARGET));
        assertTrue(e.getMessage().contains("timed out after 200 ms"), e.getMessage());
        await(() -> fake.destroyRequests.size() == 1, "the abandoned nexus is destroyed");
        // A late answer is dropped, not kept for a login that no longer waits.
        driver.nexusResult(100, NexusOperation.CREATE, NexusResult.OK);
        assertEquals(0, driver.sessionCount());
    }

    @Test
    void writeThenReadRoundTripsThroughTheCommandBuffers() throws IOException {
        start();
        try (LoopbackSession s = driver.login(INITIATOR, FakeHost.TARGET)) {
            byte[] data = pattern(8 * FakeHost.BLOCK, 1);
            ByteBuffer out = ByteBuffer.wrap(data);
            int tag = s.nextTag();
            ScsiResult w = s.execute(0, rw10(true, 3, 8), out, null);
            assertTrue(w.good(), w.toString());
            assertEquals(tag, w.tag());
            assertEquals(0, w.residual());
            assertEquals(0, w.dataInLength());
            assertEquals(0, out.position(), "Data-Out buffer is left as it was");
            assertArrayEquals(data, java.util.Arrays.copyOfRange(fake.disk, 3 * FakeHost.BLOCK, 11 * FakeHost.BLOCK));

            ByteBuffer in = ByteBuffer.allocate(8 * FakeHost.BLOCK + 10);
            in.position(10);
            ScsiResult r = s.execute(0, rw10(false, 3, 8), null, in);
            assertTrue(r.good(), r.toString());
            assertEquals(tag + 1, r.tag());
            assertEquals(8 * FakeHost.BLOCK, r.dataInLength());
            assertEquals(in.limit(), in.position(), "Data-In position advanced by the bytes received");
            assertArrayEquals(data, java.util.Arrays.copyOfRange(in.array(), 10, in.limit()));

            FakeHost.FakeCommand read = fake.submitted.get(1);
            assertEquals(DataDirection.READ, read.direction);
            assertEquals(8 * FakeHost.BLOCK, read.expectedLength);
            assertEquals(TaskAttribute.SIMPLE, read.attribute);
            assertEquals(tag + 1, read.tag);
            assertEquals(DataDirection.WRITE, fake.submitted.get(0).direction);
        }
    }

    @Test
    void lunsAreSentSamEncoded() throws IOException {
        start();
        try (LoopbackSession s = driver.login(INITIATOR, FakeHost.TARGET)) {
            s.execute(1, TEST_UNIT_READY, null, null);
            s.execute(300, TEST_UNIT_READY, null, null);
            assertEquals(0x0001_0000_0000_0000L, fake.submitted.get(0).lun);
            assertEquals(0x412C_0000_0000_0000L, fake.submitted.get(1).lun);
            assertThrows(IllegalArgumentException.class, () -> s.execute(16384, TEST_UNIT_READY, null, null));
        }
    }

    @Test
    void residualAndSensePassThrough() throws IOException, InterruptedException {
        start();
        try (LoopbackSession s = driver.login(INITIATOR, FakeHost.TARGET)) {
            ByteBuffer in = ByteBuffer.allocate(5000);
            ScsiResult under = s.execute(0, rw10(false, 0, 8), null, in);
            assertTrue(under.good());
            assertEquals(5000 - 4096, under.residual(), "underflow");
            assertEquals(4096, under.dataInLength());
            assertEquals(4096, in.position());

            ScsiResult over = s.execute(0, rw10(false, 0, 2), null, ByteBuffer.allocate(512));
            assertEquals(-512, over.residual(), "overflow");
            assertEquals(512, over.dataInLength());

            ScsiResult bad = s.execute(0, new byte[] {(byte) 0xC7, 0, 0, 0, 0, 0}, null, null);
            assertEquals(ScsiStatus.CHECK_CONDITION, bad.status());
            assertEquals(18, bad.sense().length);
            assertEquals(new SenseData(SenseKey.ILLEGAL_REQUEST, 0x20, 0), bad.senseData());

            ScsiResult range = s.execute(0, rw10(false, 63, 2), null, ByteBuffer.allocate(1024));
            assertEquals(new SenseData(SenseKey.ILLEGAL_REQUEST, 0x21, 0), range.senseData());
            assertEquals(0, range.dataInLength());
        }
        assertDoneOncePerSubmittedCommand();
        for (List<ResponseDelivery> results : fake.doneCalls.values()) {
            assertEquals(List.of(ResponseDelivery.DELIVERED), results);
        }
    }

    @Test
    void taskManagementResultPassesThrough() throws IOException {
        start();
        try (LoopbackSession s = driver.login(INITIATOR, FakeHost.TARGET)) {
            fake.tmfAnswer = TmfResponse.TASK_DOES_NOT_EXIST;
            assertEquals(TmfResponse.TASK_DOES_NOT_EXIST, s.taskManagement(TaskManagementFunction.ABORT_TASK, 2, 77));
            Object[] req = fake.tmfRequests.get(0);
            assertEquals(TaskManagementFunction.ABORT_TASK, req[1]);
            assertEquals(0x0002_0000_0000_0000L, req[2]);
            assertEquals(77, req[3]);
            fake.tmfAnswer = TmfResponse.FUNCTION_COMPLETE;
            assertEquals(TmfResponse.FUNCTION_COMPLETE, s.taskManagement(TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0));
        }
    }

    @Test
    void manyConcurrentSubmitsEachGetTheirOwnBytes() throws Exception {
        start();
        try (LoopbackSession s = driver.login(INITIATOR, FakeHost.TARGET)) {
            int n = 32;
            List<CompletableFuture<ScsiResult>> writes = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                writes.add(s.submit(0, rw10(true, 2 * i, 2), ByteBuffer.wrap(pattern(1024, i)), null));
            }
            for (CompletableFuture<ScsiResult> f : writes) {
                assertTrue(f.get(10, TimeUnit.SECONDS).good());
            }
            List<ByteBuffer> ins = new ArrayList<>();
            List<CompletableFuture<ScsiResult>> reads = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ByteBuffer in = ByteBuffer.allocateDirect(1024);
                ins.add(in);
                reads.add(s.submit(0, rw10(false, 2 * i, 2), null, in));
            }
            for (int i = 0; i < n; i++) {
                ScsiResult r = reads.get(i).get(10, TimeUnit.SECONDS);
                assertEquals(1024, r.dataInLength());
                byte[] got = new byte[1024];
                ins.get(i).flip().get(got);
                assertArrayEquals(pattern(1024, i), got, "read " + i);
            }
        }
        assertDoneOncePerSubmittedCommand();
    }

    /** submit() futures complete off the transport thread, so chaining a blocking execute works. */
    @Test
    void chainedExecuteOnASubmitFutureDoesNotStallTheTransportThread() throws Exception {
        start();
        try (LoopbackSession s = driver.login(INITIATOR, FakeHost.TARGET)) {
            CompletableFuture<ScsiResult> chained = s.submit(0, TEST_UNIT_READY, null, null).thenApply(r -> {
                assertFalse(Thread.currentThread().getName().equals("fake-daemon"));
                try {
                    return s.execute(0, TEST_UNIT_READY, null, null);
                } catch (IOException e) {
                    throw new CompletionException(e);
                }
            });
            assertTrue(chained.get(10, TimeUnit.SECONDS).good());
        }
    }

    @Test
    void closeFailsPendingCommandsAndTheHostStillGetsDoneOnce() throws Exception {
        start();
        LoopbackSession s = driver.login(INITIATOR, FakeHost.TARGET);
        fake.holdCommands = true;
        List<CompletableFuture<ScsiResult>> pending = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            pending.add(s.submit(0, rw10(false, i, 1), null, ByteBuffer.allocate(512)));
        }
        await(() -> fake.submitted.size() == 3, "three commands queued");
        s.close();
        for (CompletableFuture<ScsiResult> f : pending) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
            assertInstanceOf(IOException.class, e.getCause());
            assertEquals("session closed", e.getCause().getMessage());
        }
        IOException after = assertThrows(IOException.class, () -> s.execute(0, TEST_UNIT_READY, null, null));
        assertEquals("session closed", after.getMessage());
        assertTrue(s.submit(0, TEST_UNIT_READY, null, null).isCompletedExceptionally());

        fake.releaseHeld(); // the daemon now answers them (TASK ABORTED: the nexus is gone)
        assertDoneOncePerSubmittedCommand();
        for (List<ResponseDelivery> results : fake.doneCalls.values()) {
            assertEquals(List.of(ResponseDelivery.NEXUS_LOST), results);
        }
        s.close(); // idempotent
        assertEquals(1, fake.destroyRequests.size());
    }

    @Test
    void deactivateEndsSessionsAndRemovesTheHost() throws Exception {
        start();
        LoopbackSession s = driver.login(INITIATOR, FakeHost.TARGET);
        fake.holdCommands = true;
        CompletableFuture<ScsiResult> f = s.submit(0, TEST_UNIT_READY, null, null);
        await(() -> fake.submitted.size() == 1, "command queued");
        driver.deactivate();
        active = false;
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        assertEquals(LoopbackDriver.STOPPED, e.getCause().getMessage());
        assertTrue(fake.closed.get(), "host closed");
        assertEquals(List.of(((LoopbackSessionImpl) s).nexusId()), fake.destroyRequests);
        IOException login = assertThrows(IOException.class, () -> driver.login(INITIATOR, FakeHost.TARGET));
        assertEquals(LoopbackDriver.STOPPED, login.getMessage());
        fake.releaseHeld();
        assertDoneOncePerSubmittedCommand();
        assertEquals(List.of(ResponseDelivery.NEXUS_LOST), fake.doneCalls.values().iterator().next());
    }

    @Test
    void timedOutExecuteSendsAbortTaskAndTheLateAnswerIsDoneAsAbandoned() throws Exception {
        start(10_000, 200, 5_000);
        try (LoopbackSession s = driver.login(INITIATOR, FakeHost.TARGET)) {
            fake.holdCommands = true;
            int tag = s.nextTag();
            IOException e = assertThrows(IOException.class, () -> s.execute(3, TEST_UNIT_READY, null, null));
            assertTrue(e.getMessage().contains("timed out after 200 ms"), e.getMessage());
            await(() -> fake.tmfRequests.size() == 1, "ABORT TASK sent");
            Object[] abort = fake.tmfRequests.get(0);
            assertEquals(TaskManagementFunction.ABORT_TASK, abort[1]);
            assertEquals(0x0003_0000_0000_0000L, abort[2]);
            assertEquals(tag, abort[3]);
            fake.releaseHeld();
            assertDoneOncePerSubmittedCommand();
            assertEquals(List.of(ResponseDelivery.ABANDONED), fake.doneCalls.values().iterator().next());
            assertTrue(s.execute(0, TEST_UNIT_READY, null, null).good(), "the session still works");
        }
        await(() -> driver.tmfReplies().pendingCount() == 0, "the ABORT TASK answer is collected");
    }

    @Test
    void fullHostQueueFailsTheCommand() throws Exception {
        FakeHost small = new FakeHost(1);
        try {
            driver = new LoopbackDriver();
            driver.hostService = small;
            driver.targetPorts = ports;
            driver.activate(config(10_000, 60_000, 100));
            LoopbackSession s = driver.login(INITIATOR, FakeHost.TARGET);
            small.holdCommands = true;
            CompletableFuture<ScsiResult> first = s.submit(0, TEST_UNIT_READY, null, null);
            IOException e = assertThrows(IOException.class, () -> s.execute(0, TEST_UNIT_READY, null, null));
            assertEquals("host queue full", e.getMessage());
            small.releaseHeld();
            assertTrue(first.get(10, TimeUnit.SECONDS).good());
            s.close();
            driver.deactivate();
        } finally {
            small.shutdown();
        }
    }

    @Test
    void badArgumentsAreRefusedBeforeAnythingIsAllocated() throws IOException {
        start();
        try (LoopbackSession s = driver.login(INITIATOR, FakeHost.TARGET)) {
            assertThrows(IllegalArgumentException.class,
                    () -> s.execute(0, rw10(true, 0, 1), ByteBuffer.allocate(512), ByteBuffer.allocate(512)));
            assertThrows(IllegalArgumentException.class, () -> s.execute(0, new byte[5], null, null));
            assertThrows(NullPointerException.class, () -> s.execute(0, null, null, null));
            assertThrows(IllegalArgumentException.class,
                    () -> s.submit(0, rw10(false, 0, 1), null, ByteBuffer.allocate(2 << 20)));
            assertThrows(IllegalArgumentException.class, () -> driver.login("", FakeHost.TARGET));
        }
        assertTrue(fake.allocated.isEmpty());
    }

    @Test
    void repliesKeepEarlyAnswersAndDropAbandonedOnes() throws IOException {
        Replies<Integer> r = new Replies<>();
        assertTrue(r.deliver(1, 42));
        assertEquals(42, r.await(1, r.expect(1), 1000, "early"));
        CompletableFuture<Integer> f = r.expect(2);
        IOException e = assertThrows(IOException.class, () -> r.await(2, f, 20, "late"));
        assertEquals("late timed out after 20 ms", e.getMessage());
        assertFalse(r.deliver(2, 7), "answer for an abandoned request is dropped");
        assertEquals(0, r.pendingCount());
        CompletableFuture<Integer> g = r.expect(3);
        r.failAll(new IOException("stopped"));
        assertEquals("stopped", assertThrows(IOException.class, () -> r.await(3, g, 1000, "x")).getMessage());
        assertEquals(0, r.pendingCount());
    }
}
