package org.jtgt.loopback;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.host.HostCallbacks;
import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.HostService;
import org.jtgt.api.host.NexusOperation;
import org.jtgt.api.host.NexusResult;
import org.jtgt.api.host.ResponseDelivery;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.scsi.SenseKey;

/**
 * A host side and a tiny daemon in one: answers on its own "daemon" thread, like a transport
 * would, from a 64-block in-memory disk understanding TEST UNIT READY, READ(10) and WRITE(10).
 */
final class FakeHost implements HostService, ScsiHost {
    static final String TARGET = "iqn.2024-01.org.jtgt:disk";
    static final int BLOCK = 512;
    static final int BLOCKS = 64;

    final ExecutorService daemon = Executors.newSingleThreadExecutor(r -> new Thread(r, "fake-daemon"));
    final byte[] disk = new byte[BLOCKS * BLOCK];
    final Set<String> deniedInitiators = ConcurrentHashMap.newKeySet();
    final Map<Long, String> nexuses = new ConcurrentHashMap<>();
    final List<String> createRequests = new CopyOnWriteArrayList<>();
    final List<Long> destroyRequests = new CopyOnWriteArrayList<>();
    final List<Object[]> tmfRequests = new CopyOnWriteArrayList<>();
    /** cid -> results passed to done(), in order. */
    final Map<Long, List<ResponseDelivery>> doneCalls = new ConcurrentHashMap<>();
    final List<FakeCommand> allocated = new CopyOnWriteArrayList<>();
    final List<FakeCommand> submitted = new CopyOnWriteArrayList<>();
    final AtomicBoolean closed = new AtomicBoolean();

    volatile HostCallbacks callbacks;
    volatile String driverName;
    /** Answer createNexus on the caller's thread before it returns. */
    volatile boolean answerNexusInline;
    /** Never answer nexus and task-management requests. */
    volatile boolean silent;
    /** Keep submitted commands until releaseHeld(). */
    volatile boolean holdCommands;
    volatile TmfResponse tmfAnswer = TmfResponse.FUNCTION_COMPLETE;
    volatile NexusResult createResult = NexusResult.OK;

    private final List<FakeCommand> held = new ArrayList<>();
    private final Semaphore slots;
    private final AtomicLong nextNexus = new AtomicLong(100);
    private final AtomicLong nextCid = new AtomicLong(1);
    private final AtomicLong nextMid = new AtomicLong(1000);

    FakeHost(int slots) {
        this.slots = new Semaphore(slots);
    }

    // ---- HostService ----

    @Override
    public ScsiHost addHost(String name, HostCallbacks cb) {
        this.driverName = name;
        this.callbacks = cb;
        return this;
    }

    // ---- ScsiHost ----

    @Override
    public int hostNo() {
        return 7;
    }

    @Override
    public String driverName() {
        return driverName;
    }

    @Override
    public long createNexus(String initiatorPortName, String targetName, int relativePort) {
        long id = nextNexus.getAndIncrement();
        createRequests.add(initiatorPortName + "|" + targetName + "|" + relativePort);
        String initiator = initiatorPortName.substring(0, initiatorPortName.indexOf(",i,0x"));
        NexusResult result = !TARGET.equals(targetName) ? NexusResult.NO_SUCH_TARGET
                : deniedInitiators.contains(initiator) ? NexusResult.ACCESS_DENIED
                : createResult;
        if (result == NexusResult.OK) {
            nexuses.put(id, initiatorPortName);
        }
        if (answerNexusInline) {
            callbacks.nexusResult(id, NexusOperation.CREATE, result);
        } else if (!silent) {
            daemon.execute(() -> callbacks.nexusResult(id, NexusOperation.CREATE, result));
        }
        return id;
    }

    @Override
    public void destroyNexus(long nexusId) {
        destroyRequests.add(nexusId);
        daemon.execute(() -> {
            NexusResult result = nexuses.remove(nexusId) != null ? NexusResult.OK : NexusResult.NO_SUCH_NEXUS;
            if (!silent) {
                callbacks.nexusResult(nexusId, NexusOperation.DESTROY, result);
            }
        });
    }

    @Override
    public HostCommand allocate(long nexusId, int dataLength, long timeoutNanos) throws InterruptedException {
        if (dataLength > maxDataLength()) {
            throw new IllegalArgumentException("too long");
        }
        if (!slots.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS)) {
            return null;
        }
        FakeCommand c = new FakeCommand(nextCid.getAndIncrement(), nexusId, dataLength);
        allocated.add(c);
        return c;
    }

    @Override
    public int maxDataLength() {
        return 1 << 20;
    }

    @Override
    public void submit(HostCommand command) {
        FakeCommand c = (FakeCommand) command;
        submitted.add(c);
        synchronized (held) {
            if (holdCommands) {
                held.add(c);
                return;
            }
        }
        daemon.execute(() -> execute(c));
    }

    /** Lets held commands run now (answered as TASK ABORTED if their nexus is gone). */
    void releaseHeld() {
        List<FakeCommand> run;
        synchronized (held) {
            holdCommands = false;
            run = new ArrayList<>(held);
            held.clear();
        }
        for (FakeCommand c : run) {
            daemon.execute(() -> execute(c));
        }
    }

    @Override
    public long taskManagement(long nexusId, TaskManagementFunction function, long lun, int referencedTag) {
        long mid = nextMid.getAndIncrement();
        tmfRequests.add(new Object[] {nexusId, function, lun, referencedTag});
        TmfResponse answer = tmfAnswer;
        if (!silent) {
            daemon.execute(() -> callbacks.taskManagementCompleted(mid, answer));
        }
        return mid;
    }

    @Override
    public void done(HostCommand command, ResponseDelivery result) {
        doneCalls.computeIfAbsent(command.cid(), k -> new CopyOnWriteArrayList<>()).add(result);
        slots.release();
    }

    @Override
    public void release(HostCommand command) {
        allocated.remove(command);
        slots.release();
    }

    @Override
    public int outstanding() {
        return submitted.size() - doneCalls.size();
    }

    @Override
    public void close() {
        closed.set(true);
    }

    void shutdown() throws InterruptedException {
        daemon.shutdownNow();
        daemon.awaitTermination(10, TimeUnit.SECONDS);
    }

    // ---- the tiny daemon ----

    private void execute(FakeCommand c) {
        byte[] cdb = c.cdb;
        if (!nexuses.containsKey(c.nexusId)) {
            c.status = ScsiStatus.TASK_ABORTED;
        } else {
            switch (cdb[0] & 0xFF) {
                case 0x00 -> c.status = ScsiStatus.GOOD;
                case 0x28, 0x2A -> readWrite(c, (cdb[0] & 0xFF) == 0x2A);
                default -> checkCondition(c, SenseKey.ILLEGAL_REQUEST, 0x20); // INVALID COMMAND OPERATION CODE
            }
        }
        callbacks.commandCompleted(c);
    }

    private void readWrite(FakeCommand c, boolean write) {
        ByteBuffer cdb = ByteBuffer.wrap(c.cdb);
        long lba = cdb.getInt(2) & 0xFFFFFFFFL;
        int blocks = cdb.getShort(7) & 0xFFFF;
        if (lba + blocks > BLOCKS) {
            checkCondition(c, SenseKey.ILLEGAL_REQUEST, 0x21); // LBA OUT OF RANGE
            return;
        }
        int length = blocks * BLOCK;
        int moved = Math.min(length, c.expectedLength);
        if (write) {
            c.data.get(0, disk, (int) lba * BLOCK, moved);
        } else {
            c.data.put(0, disk, (int) lba * BLOCK, moved);
            c.dataInLength = moved;
        }
        c.residual = c.expectedLength - length;
        c.status = ScsiStatus.GOOD;
    }

    private static void checkCondition(FakeCommand c, int key, int asc) {
        c.status = ScsiStatus.CHECK_CONDITION;
        c.sense = new byte[18];
        c.sense[0] = 0x70;
        c.sense[2] = (byte) key;
        c.sense[7] = 10;
        c.sense[12] = (byte) asc;
    }

    static final class FakeCommand implements HostCommand {
        final long cid;
        final long nexusId;
        final ByteBuffer data;
        long lun;
        byte[] cdb;
        int tag;
        DataDirection direction;
        int expectedLength;
        TaskAttribute attribute;
        volatile int status;
        volatile int residual;
        volatile int dataInLength;
        volatile byte[] sense = new byte[0];
        volatile Object context;
        volatile boolean aborted;

        FakeCommand(long cid, long nexusId, int capacity) {
            this.cid = cid;
            this.nexusId = nexusId;
            this.data = ByteBuffer.allocate(capacity);
        }

        @Override public long cid() { return cid; }
        @Override public boolean aborted() { return aborted; }
        @Override public long nexusId() { return nexusId; }
        @Override public HostCommand setLun(long l) { lun = l; return this; }
        @Override public HostCommand setCdb(byte[] b, int off, int len) { cdb = java.util.Arrays.copyOfRange(b, off, off + len); return this; }
        @Override public HostCommand setTag(int t) { tag = t; return this; }
        @Override public HostCommand setDirection(DataDirection d) { direction = d; return this; }
        @Override public HostCommand setExpectedLength(int l) { expectedLength = l; return this; }
        @Override public HostCommand setTaskAttribute(TaskAttribute a) { attribute = a; return this; }
        @Override public long lun() { return lun; }
        @Override public int tag() { return tag; }
        @Override public DataDirection direction() { return direction; }
        @Override public int expectedLength() { return expectedLength; }
        @Override public int dataCapacity() { return data.capacity(); }
        @Override public ByteBuffer dataBuffer() { return data; }
        @Override public int dataPosition() { return 0; }
        @Override public void putData(int offset, ByteBuffer src) { data.put(offset, src, src.position(), src.remaining()); }
        @Override public void getData(int offset, ByteBuffer dst) { dst.put(dst.position(), data, offset, dst.remaining()); }
        @Override public int status() { return status; }
        @Override public int residual() { return residual; }
        @Override public int dataInLength() { return dataInLength; }
        @Override public int senseLength() { return sense.length; }
        @Override public int sense(byte[] dst) { int n = Math.min(dst.length, sense.length); System.arraycopy(sense, 0, dst, 0, n); return n; }
        @Override public void setContext(Object c) { context = c; }
        @Override public Object context() { return context; }
    }
}
