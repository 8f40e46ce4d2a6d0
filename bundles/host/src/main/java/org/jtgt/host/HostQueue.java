package org.jtgt.host;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.EventFormatException;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.ItNexusReqEvent;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.event.TskMgmtReqEvent;
import org.jtgt.api.event.TskMgmtRspEvent;
import org.jtgt.api.host.HostCallbacks;
import org.jtgt.api.host.HostCommand;
import org.jtgt.api.host.NexusOperation;
import org.jtgt.api.host.NexusResult;
import org.jtgt.api.host.ResponseDelivery;
import org.jtgt.api.host.ScsiHost;
import org.jtgt.api.scsi.SenseBuilder;
import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.HandOff;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.TransportEndpoint;
import org.jtgt.util.IntMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SCSI host: the ONE ordered queue that carries this host's commands, task-management and
 * nexus requests to the transport (so a TMF never overtakes the commands it concerns), and the
 * command table that finds an outstanding command by its cid in O(1).
 *
 * <p>Where a command goes: {@link #allocate} (slot + data buffer) → LLD fills it →
 * {@link #submit} (queued) → {@link #dispatch} (encoded as KEVENT_CMD_REQ onto the active
 * transport) → {@link #onCommandResponse} (UEVENT_CMD_RSP, LLD's callback) → {@link #done}
 * (KEVENT_CMD_DONE, slot freed).
 *
 * <p>The host never blocks on a transport: it offers events, and when the transport is full it
 * leaves them queued and tries again on the next submit, completion or answer. Blocking here
 * could deadlock, because completions are delivered on the transport's own thread.
 */
final class HostQueue implements ScsiHost {
    private static final Logger LOG = LoggerFactory.getLogger(HostQueue.class);
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.privateLookupIn(CommandSlot.class, MethodHandles.lookup())
                    .findVarHandle(CommandSlot.class, "state", CommandSlot.State.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final HostSide side;
    private final int hostNo;
    private final String driverName;
    private final HostCallbacks callbacks;
    private final int maxDataLength;

    // ---- command table: slot index in the low 32 bits of a cid, generation in the high ----
    private final CommandSlot[] slots;
    private final int[] freeSlots;
    private int freeCount;
    private final int[] generations;
    /** Threads waiting in {@link #admit}; frees wake them all, since shares decide who may go. */
    private int waiters;

    // ---- shares (guarded by freeSlots): what each session and the whole host hold ----
    /** Sessions by the low 32 bits of their nexus id; the share keeps the whole id. */
    private final IntMap<SessionShare> shares = new IntMap<>(64);
    /** For commands of a nexus this host was not asked to create (or that it forgot). */
    private final SessionShare unknownNexus = new SessionShare(-1);
    /** Data held by this host's commands, in {@link ShareLimits#UNIT} blocks. */
    private long heldBytes;
    /** How long a refused allocation sleeps before it looks again: frees on other hosts do not wake it. */
    private static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    // ---- the ordered queue: CommandSlot or Request entries ----
    private final ArrayDeque<Object> queue;
    private final AtomicBoolean dispatching = new AtomicBoolean();
    /** Set by every {@link #dispatch()} before it tries to dispatch; cleared at the start of each pass. */
    private final AtomicBoolean dispatchWanted = new AtomicBoolean();
    private final AtomicBoolean flushingDone = new AtomicBoolean();
    /** The thread dispatching (holding {@link #dispatching}), null between passes or after a hand-off. */
    private volatile Thread dispatcher;
    /**
     * The command whose KEVENT_CMD_REQ the dispatcher is offering. Written and read only by the
     * dispatching thread ({@link #dispatchRole} checks that it is that thread first), so plain.
     */
    private CommandSlot offering;
    /**
     * The dispatcher's role ({@link HandOff}): given up inside the transport's offer of the
     * queue's first command, when the daemon is about to block on the dispatching thread (the
     * in-process transport runs the daemon there). Only while nothing is queued behind that
     * command: it leaves the queue as sent, and the next {@link #dispatch()} call dispatches.
     */
    private final HandOff.Role dispatchRole = new HandOff.Role() {
        @Override
        public boolean mayRelease() {
            if (dispatcher != Thread.currentThread() || offering == null || dispatchWanted.get()) {
                return false;
            }
            synchronized (queue) {
                return queue.size() == 1 && queue.peekFirst() == offering;
            }
        }

        @Override
        public boolean release() {
            if (dispatcher != Thread.currentThread() || offering == null || dispatchWanted.get()) {
                return false;
            }
            synchronized (queue) {
                if (queue.size() != 1 || queue.peekFirst() != offering) {
                    return false;
                }
                queue.pollFirst();   // in the transport already: drainQueue would take it off next
            }
            offering = null;
            dispatcher = null;
            dispatching.set(false);
            // A caller that found the flag still set in the instant before left its pass to us.
            if (dispatchWanted.get()) {
                dispatch();
            }
            return true;
        }
    };
    /**
     * Set when dispatch stopped because the transport refused (full ring, ACK window, no room in
     * the data area) with entries still queued. A host with nothing in flight gets no answer that
     * would make it retry, so {@link HostSide} retries stalled hosts whenever any host gets an
     * answer or frees data ({@link HostSide#retryStalled}).
     */
    private volatile boolean stalled;
    private final ByteBuffer dispatchScratch = ByteBuffer.allocateDirect(EventHeader.MAX_RECORD_LENGTH);

    // ---- KEVENT_CMD_DONE records not yet accepted by a full transport ----
    private final long[] doneBacklog;
    private final int[] doneResults;
    private int doneHead;
    private int doneCount;

    // ---- commands failed here because their transport did not answer in time ----
    /**
     * The last {@value #ABANDONED} commands {@link #failInFlight} answered itself, with the
     * transport each was sent on. Their real answers may still come, late, through a later
     * endpoint of the same transport (its daemon → host ring keeps them); such an answer is
     * dropped, not taken for a protocol violation. Guarded by itself; touched only on those
     * rare paths.
     */
    private static final int ABANDONED = 64;
    private final long[] abandonedCids = new long[ABANDONED];
    private final Transport[] abandonedOn = new Transport[ABANDONED];
    private int abandonedNext;

    private final ConcurrentHashMap<Long, Request> pendingTmf = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Request> pendingNexus = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger outstanding = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean closed;

    HostQueue(HostSide side, int hostNo, String driverName, HostCallbacks callbacks, int commands, int maxDataLength) {
        this.side = side;
        this.hostNo = hostNo;
        this.driverName = driverName;
        this.callbacks = callbacks;
        this.maxDataLength = maxDataLength;
        this.slots = new CommandSlot[commands];
        this.freeSlots = new int[commands];
        this.generations = new int[commands];
        for (int i = 0; i < commands; i++) {
            slots[i] = new CommandSlot(this, i);
            freeSlots[i] = commands - 1 - i;
        }
        this.freeCount = commands;
        this.queue = new ArrayDeque<>(commands + 64);
        this.doneBacklog = new long[commands];
        this.doneResults = new int[commands];
    }

    @Override public int hostNo() { return hostNo; }
    @Override public String driverName() { return driverName; }
    @Override public int maxDataLength() { return maxDataLength; }
    @Override public int outstanding() { return outstanding.get(); }

    HostCallbacks callbacks() {
        return callbacks;
    }

    // ------------------------------------------------------------------ LLD → host

    @Override
    public long createNexus(String initiatorPortName, String targetName, int relativePort) {
        checkOpen();
        byte[] names = names(initiatorPortName, targetName);
        if (names.length > ItNexusReqEvent.MAX_NAMES_LENGTH) {
            throw new IllegalArgumentException("initiator and target names exceed " + ItNexusReqEvent.MAX_NAMES_LENGTH + " bytes");
        }
        long id = side.nextId();
        synchronized (freeSlots) {
            shares.put((int) id, new SessionShare(id));
        }
        Request r = Request.createNexus(id, initiatorPortName, targetName, relativePort);
        pendingNexus.put(r.key(), r);
        enqueue(r);
        return id;
    }

    @Override
    public void destroyNexus(long nexusId) {
        checkOpen();
        forgetShare(nexusId);
        Request r = Request.destroyNexus(nexusId);
        pendingNexus.put(r.key(), r);
        enqueue(r);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The command must also fit its session's share ({@link ShareLimits}): a session over its
     * share waits here, as does one whose command finds no room at all, up to
     * {@code timeoutNanos}; other sessions are not held up by it.
     */
    @Override
    public HostCommand allocate(long nexusId, int dataLength, long timeoutNanos) throws InterruptedException {
        checkOpen();
        if (dataLength < 0 || dataLength > maxDataLength) {
            throw new IllegalArgumentException("data length " + dataLength + " outside 0.." + maxDataLength);
        }
        long deadline = System.nanoTime() + timeoutNanos;
        CommandSlot slot = admit(nexusId, dataLength == 0 ? 0 : ShareLimits.units(dataLength), deadline);
        if (slot == null) {
            return null;
        }
        DataArea area;
        long offset = 0;
        while (true) {
            area = side.allocationArea();
            if (dataLength == 0) {
                break;
            }
            offset = area.allocate(dataLength);
            if (offset >= 0) {
                break;
            }
            if (System.nanoTime() - deadline >= 0 || closed) {
                returnSlot(slot);
                return null;
            }
            if (Thread.interrupted()) {
                returnSlot(slot);
                throw new InterruptedException();
            }
            // The area is full: completions free it; retry shortly.
            LockSupport.parkNanos(50_000);
        }
        slot.reset();
        slot.nexusId = nexusId;
        slot.area = area;
        slot.dataOffset = offset;
        slot.capacity = dataLength;
        slot.state = CommandSlot.State.ALLOCATED;
        return slot;
    }

    @Override
    public void submit(HostCommand command) {
        CommandSlot slot = own(command, CommandSlot.State.ALLOCATED, "submit");
        if (slot.cdbLength == 0) {
            throw new IllegalStateException(slot + " has no CDB");
        }
        if (slot.expectedLength > slot.capacity && slot.direction != DataDirection.NONE) {
            throw new IllegalArgumentException(slot + ": expected length " + slot.expectedLength
                    + " exceeds the " + slot.capacity + "-byte buffer");
        }
        slot.state = CommandSlot.State.QUEUED;
        enqueue(slot);
    }

    @Override
    public long taskManagement(long nexusId, TaskManagementFunction function, long lun, int referencedTag) {
        checkOpen();
        long mid = side.nextId();
        Request r = Request.tmf(mid, nexusId, function, lun, referencedTag);
        pendingTmf.put(mid, r);
        enqueue(r);
        return mid;
    }

    @Override
    public void done(HostCommand command, ResponseDelivery result) {
        CommandSlot slot = own(command, CommandSlot.State.COMPLETED, "done");
        long cid = slot.cid;
        // Into the backlog before the slot is free again, so the backlog never holds more
        // records than there are slots.
        synchronized (doneBacklog) {
            int at = (doneHead + doneCount) % doneBacklog.length;
            doneBacklog[at] = cid;
            doneResults[at] = WireCodes.doneResult(result);
            doneCount++;
        }
        freeData(slot);
        returnSlot(slot);
        flushDone();
        dispatch();
        side.retryStalled(this);
    }

    @Override
    public void release(HostCommand command) {
        CommandSlot slot = own(command, CommandSlot.State.ALLOCATED, "release");
        freeData(slot);
        returnSlot(slot);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Object[] dropped;
        synchronized (queue) {
            dropped = queue.toArray();
            queue.clear();
        }
        for (Object e : dropped) {
            if (e instanceof CommandSlot) {
                CommandSlot slot = (CommandSlot) e;
                freeData(slot);
                returnSlot(slot);
            }
        }
        LOG.info("SCSI host {} ({}) removed; {} queued requests dropped, {} in flight", hostNo, driverName,
                dropped.length, outstanding.get());
        side.hostClosed(this);
    }

    boolean isClosed() {
        return closed;
    }

    // ------------------------------------------------------------------ the queue

    private void enqueue(Object entry) {
        synchronized (queue) {
            queue.addLast(entry);
        }
        dispatch();
    }

    /**
     * Moves queued entries onto the active transport, in order, until the queue is empty, the
     * transport is full, or no transport is active. Only one thread dispatches at a time; a
     * thread that finds another dispatching leaves the work to it. Every call first says that it
     * wants a pass ({@link #dispatchWanted}), and the dispatcher, after letting go, makes another
     * pass while anyone did: whatever the caller changed before it asked (an entry queued, a
     * transport bound by a swap, room made by an answer) is seen by a pass that starts after
     * the request, so no entry is stranded. Looking only at the queue was not enough: a
     * dispatcher that had found no transport bound let go unaware that a swap had just bound
     * one and had been turned away, and with nothing else in flight nobody dispatched again.
     */
    void dispatch() {
        dispatchWanted.set(true);
        Thread me = Thread.currentThread();
        while (dispatchWanted.get() && dispatching.compareAndSet(false, true)) {
            dispatcher = me;
            HandOff.hold(dispatchRole);
            try {
                dispatchWanted.set(false);
                boolean progress = drainQueue();
                if (dispatcher != me) {
                    return;   // handed off (dispatchRole): the flag is not ours to clear
                }
                stalled = !progress && side.activeBinding() != null;
            } finally {
                HandOff.drop(dispatchRole);
                if (dispatcher == me) {
                    offering = null;
                    dispatcher = null;
                    dispatching.set(false);
                }
            }
        }
    }

    boolean isDispatching() {
        return dispatching.get();
    }

    boolean isStalled() {
        return stalled;
    }

    /** @return false if it stopped because the transport is full or gone */
    private boolean drainQueue() {
        // KEVENT_CMD_DONE first: it frees daemon state, and it keeps the backlog bounded.
        if (!flushDone()) {
            return false;
        }
        TransportBinding b;
        while ((b = side.activeBinding()) != null) {
            Object entry;
            synchronized (queue) {
                entry = queue.peekFirst();
            }
            if (entry == null) {
                return true;
            }
            boolean sent;
            if (entry instanceof CommandSlot slot) {
                offering = slot;
                sent = sendCommand(slot, b);
                if (dispatcher != Thread.currentThread()) {
                    return true;   // handed off inside the offer, which took the entry off the queue
                }
                offering = null;
            } else {
                sent = sendRequest((Request) entry, b);
            }
            if (!sent) {
                return false;
            }
            synchronized (queue) {
                queue.pollFirst();
            }
        }
        return false;
    }

    private boolean sendCommand(CommandSlot slot, TransportBinding b) {
        DataArea area = b.area;
        if (slot.capacity > 0 && slot.area != area) {
            // Accepted while no transport was bound (or on the one swapped out): move the data
            // into this transport's area. Only happens around a swap.
            long offset = area.allocate(slot.capacity);
            if (offset < 0) {
                return false;
            }
            if (slot.direction == DataDirection.WRITE || slot.direction == DataDirection.BIDIRECTIONAL) {
                area.buffer().put((int) offset, slot.area.buffer(), (int) slot.dataOffset, slot.capacity);
            }
            slot.area.free(slot.dataOffset, slot.capacity);
            slot.area = area;
            slot.dataOffset = offset;
            side.countRelocation();
        } else if (slot.capacity == 0) {
            slot.area = area;
        }
        long ext = 0;
        if (slot.cdbLength > CmdReqEvent.INLINE_CDB_LENGTH) {
            ext = area.allocate(slot.cdbLength);
            if (ext < 0) {
                return false;
            }
            area.buffer().put((int) ext, slot.cdb, 0, slot.cdbLength);
            slot.extCdbOffset = ext;
        }
        ByteBuffer s = dispatchScratch;
        CmdReqEvent.write(s, 0, hostNo, slot.cid, slot.nexusId, slot.lun, slot.cdb, slot.cdbLength, slot.tag,
                slot.expectedLength, slot.dataOffset, slot.capacity, slot.direction.code(),
                slot.attribute.code(), ext);
        // In flight before it is visible: the answer may arrive before offer() returns.
        slot.binding = b;
        slot.state = CommandSlot.State.SENT;
        b.inFlight.incrementAndGet();
        outstanding.incrementAndGet();
        if (b.endpoint.offer(s, 0, CmdReqEvent.LENGTH)) {
            return true;
        }
        outstanding.decrementAndGet();
        b.inFlight.decrementAndGet();
        slot.state = CommandSlot.State.QUEUED;
        slot.binding = null;
        if (slot.extCdbOffset >= 0) {
            area.free(slot.extCdbOffset, slot.cdbLength);
            slot.extCdbOffset = -1;
        }
        return false;
    }

    private boolean sendRequest(Request r, TransportBinding b) {
        ByteBuffer s = dispatchScratch;
        int length;
        switch (r.kind) {
            case TMF:
                TskMgmtReqEvent.write(s, 0, hostNo, r.id, r.nexusId, r.lun, r.referencedTag, r.function);
                length = TskMgmtReqEvent.LENGTH;
                break;
            case NEXUS_CREATE:
                byte[] names = names(r.initiatorPortName, r.targetName);
                long offset = b.area.allocate(names.length);
                if (offset < 0) {
                    return false;
                }
                b.area.buffer().put((int) offset, names);
                r.namesOffset = offset;
                r.namesLength = names.length;
                ItNexusReqEvent.write(s, 0, hostNo, r.id, ItNexusReqEvent.OP_CREATE, r.relativePort, offset, names.length);
                length = ItNexusReqEvent.LENGTH;
                break;
            default:
                ItNexusReqEvent.write(s, 0, hostNo, r.id, ItNexusReqEvent.OP_DESTROY, 0, 0, 0);
                length = ItNexusReqEvent.LENGTH;
                break;
        }
        r.binding = b;
        b.inFlight.incrementAndGet();
        if (b.endpoint.offer(s, 0, length)) {
            return true;
        }
        b.inFlight.decrementAndGet();
        r.binding = null;
        if (r.namesOffset >= 0) {
            b.area.free(r.namesOffset, r.namesLength);
            r.namesOffset = -1;
        }
        return false;
    }

    /**
     * Offers backlogged KEVENT_CMD_DONE records to a usable transport. One thread flushes at a
     * time (a CAS flag, like dispatch), and never holding the backlog's lock while it offers: an
     * in-process transport may run the daemon and deliver answers beneath the offer, on this
     * thread, and those commands' {@link #done} add to the backlog and flush again. A thread that
     * finds the backlog being flushed (by another thread, or by itself further up) leaves it to
     * that flusher, which looks again after letting go.
     *
     * @return false if a record was refused (the transport is full or gone)
     */
    boolean flushDone() {
        while (true) {
            if (!flushingDone.compareAndSet(false, true)) {
                return true;
            }
            boolean flushed;
            try {
                flushed = flushBacklog();
            } finally {
                flushingDone.set(false);
            }
            if (!flushed) {
                return false;
            }
            synchronized (doneBacklog) {
                if (doneCount == 0) {
                    return true;
                }
            }
        }
    }

    private boolean flushBacklog() {
        TransportEndpoint endpoint = null;
        ByteBuffer s = side.scratch();
        while (true) {
            long cid;
            int result;
            synchronized (doneBacklog) {
                if (doneCount == 0) {
                    return true;
                }
                cid = doneBacklog[doneHead];
                result = doneResults[doneHead];
            }
            if (endpoint == null) {
                endpoint = side.doneEndpoint();
                if (endpoint == null) {
                    return false;
                }
            }
            CmdDoneEvent.write(s, 0, hostNo, cid, result);
            if (!endpoint.offer(s, 0, CmdDoneEvent.LENGTH)) {
                return false;
            }
            synchronized (doneBacklog) {
                doneHead = (doneHead + 1) % doneBacklog.length;
                doneCount--;
            }
        }
    }

    // ------------------------------------------------------------------ daemon → host

    /** UEVENT_CMD_RSP. Throws EventFormatException when the peer breaks the protocol. */
    void onCommandResponse(ByteBuffer b, int o, TransportEndpoint from) {
        long cid = CmdRspEvent.cid(b, o);
        CommandSlot slot = lookup(cid);
        if (slot == null || slot.state != CommandSlot.State.SENT || slot.binding.endpoint != from) {
            if (wasAbandoned(cid, from.transport())) {
                LOG.warn("host {}: late answer to cid 0x{} on transport {}, which was failed here when that "
                        + "transport did not answer in time; dropped", hostNo, Long.toHexString(cid),
                        from.transport().name());
                return;
            }
            throw new EventFormatException("UEVENT_CMD_RSP for cid 0x" + Long.toHexString(cid)
                    + " which host " + hostNo + " has not sent on this transport");
        }
        CmdRspEvent.validate(b, o, from.dataArea().size());
        int dataLength = CmdRspEvent.dataLength(b, o);
        if (dataLength > 0 && (CmdRspEvent.dataOffset(b, o) != slot.dataOffset || dataLength > slot.capacity)) {
            throw new EventFormatException("UEVENT_CMD_RSP for " + slot + ": Data-In " + CmdRspEvent.dataOffset(b, o)
                    + "+" + dataLength + " is not the command's buffer " + slot.dataOffset + "+" + slot.capacity);
        }
        slot.status = CmdRspEvent.status(b, o);
        slot.residual = CmdRspEvent.residual(b, o);
        slot.dataInLength = dataLength;
        slot.senseLength = CmdRspEvent.sense(b, o, slot.sense);
        slot.aborted = CmdRspEvent.aborted(b, o);
        complete(slot);
    }

    /**
     * Completes a command that was in flight: from the daemon's answer, or synthesized by
     * {@link #failInFlight} when its transport failed. Whichever comes first wins.
     */
    private void complete(CommandSlot slot) {
        if (!STATE.compareAndSet(slot, CommandSlot.State.SENT, CommandSlot.State.COMPLETED)) {
            return;
        }
        TransportBinding b = slot.binding;
        if (slot.extCdbOffset >= 0) {
            b.area.free(slot.extCdbOffset, slot.cdbLength);
            slot.extCdbOffset = -1;
        }
        outstanding.decrementAndGet();
        b.inFlight.decrementAndGet();
        if (closed) {
            done(slot, ResponseDelivery.NEXUS_LOST);
            return;
        }
        try {
            callbacks.commandCompleted(slot);
        } catch (RuntimeException e) {
            LOG.error("{} driver failed to take completion of {}", driverName, slot, e);
        }
    }

    void onTmfResponse(ByteBuffer b, int o, TransportEndpoint from) {
        TskMgmtRspEvent.validate(b, o);
        long mid = TskMgmtRspEvent.mid(b, o);
        Request r = pendingTmf.get(mid);
        if (r == null || r.binding == null || r.binding.endpoint != from) {
            throw new EventFormatException("UEVENT_TSK_MGMT_RSP for unknown mid " + mid + " on host " + hostNo);
        }
        finishTmf(r, TmfResponse.fromCode(TskMgmtRspEvent.result(b, o)));
    }

    private void finishTmf(Request r, TmfResponse response) {
        if (pendingTmf.remove(r.id, r)) {
            r.binding.inFlight.decrementAndGet();
            callbacks.taskManagementCompleted(r.id, response);
        }
    }

    void onNexusResponse(ByteBuffer b, int o, TransportEndpoint from) {
        long id = ItNexusRspEvent.nexusId(b, o);
        int op = ItNexusRspEvent.op(b, o);
        Request r = pendingNexus.get(Request.nexusKey(id, op == ItNexusReqEvent.OP_CREATE));
        if (r == null || r.binding == null || r.binding.endpoint != from) {
            throw new EventFormatException("UEVENT_IT_NEXUS_RSP for unknown nexus " + id + " op " + op + " on host " + hostNo);
        }
        finishNexus(r, WireCodes.nexusResult(ItNexusRspEvent.result(b, o)));
    }

    private void finishNexus(Request r, NexusResult result) {
        if (pendingNexus.remove(r.key(), r)) {
            if (r.namesOffset >= 0) {
                r.binding.area.free(r.namesOffset, r.namesLength);
            }
            r.binding.inFlight.decrementAndGet();
            if (r.kind == Request.Kind.NEXUS_CREATE && result != NexusResult.OK) {
                forgetShare(r.id);   // refused: no command will come for it
            }
            callbacks.nexusResult(r.id, r.kind == Request.Kind.NEXUS_CREATE ? NexusOperation.CREATE
                    : NexusOperation.DESTROY, result);
        }
    }

    /**
     * The transport {@code b} failed or did not drain in time: everything in flight on it is
     * answered here, since its answers will never come. Commands get CHECK CONDITION, ABORTED
     * COMMAND, LOGICAL UNIT COMMUNICATION FAILURE (SPC-4 table 49: 08h/00h): the initiator may
     * retry; they are not re-sent by the host because the daemon may have executed them.
     */
    void failInFlight(TransportBinding b) {
        for (CommandSlot slot : slots) {
            if (slot.state == CommandSlot.State.SENT && slot.binding == b) {
                abandon(slot.cid, b.transport);
                slot.status = org.jtgt.api.scsi.ScsiStatus.CHECK_CONDITION;
                slot.aborted = false;
                slot.residual = slot.expectedLength;
                slot.dataInLength = 0;
                slot.senseLength = SenseBuilder.fixed(slot.sense, 0, org.jtgt.api.scsi.SenseKey.ABORTED_COMMAND, 0x08, 0x00);
                complete(slot);
            }
        }
        for (Request r : pendingTmf.values()) {
            if (r.binding == b) {
                finishTmf(r, TmfResponse.FUNCTION_REJECTED);
            }
        }
        for (Request r : pendingNexus.values()) {
            if (r.binding == b) {
                finishNexus(r, NexusResult.NO_SUCH_NEXUS);
            }
        }
    }

    // ------------------------------------------------------------------ command table

    private void abandon(long cid, Transport transport) {
        synchronized (abandonedCids) {
            abandonedCids[abandonedNext] = cid;
            abandonedOn[abandonedNext] = transport;
            abandonedNext = (abandonedNext + 1) % ABANDONED;
        }
    }

    /** True (once) if {@code cid} was failed by {@link #failInFlight} after it was sent on {@code transport}. */
    private boolean wasAbandoned(long cid, Transport transport) {
        synchronized (abandonedCids) {
            for (int i = 0; i < ABANDONED; i++) {
                if (abandonedCids[i] == cid && abandonedOn[i] == transport && transport != null) {
                    abandonedOn[i] = null;
                    return true;
                }
            }
            return false;
        }
    }

    private CommandSlot lookup(long cid) {
        int index = (int) cid;
        if (index < 0 || index >= slots.length) {
            return null;
        }
        CommandSlot slot = slots[index];
        return slot.cid == cid ? slot : null;
    }

    /**
     * Takes a slot for a command of {@code nexusId} holding {@code units} bytes of data, once its
     * session's share allows (see {@link ShareLimits}), waiting until {@code deadline}. The data
     * is counted as held from here; {@link #returnSlot} gives it back.
     */
    private CommandSlot admit(long nexusId, long units, long deadline) throws InterruptedException {
        synchronized (freeSlots) {
            SessionShare share = shareOf(nexusId);
            while (!mayTake(share, units)) {
                long wait = deadline - System.nanoTime();
                if (wait <= 0 || closed) {
                    return null;
                }
                waiters++;
                try {
                    TimeUnit.NANOSECONDS.timedWait(freeSlots, Math.min(wait, RECHECK_NANOS));
                } finally {
                    waiters--;
                }
            }
            int index = freeSlots[--freeCount];
            CommandSlot slot = slots[index];
            int generation = ++generations[index];
            slot.cid = ((long) generation << 32) | index;
            share.commands++;
            share.bytes += units;
            heldBytes += units;
            slot.share = share;
            slot.heldUnits = units;
            return slot;
        }
    }

    /**
     * Whether {@code share}'s session may take one more slot and {@code units} bytes now; if so,
     * the data is already counted in the host side's total. Called holding freeSlots.
     */
    private boolean mayTake(SessionShare share, long units) {
        if (freeCount == 0) {
            return false;
        }
        ShareLimits limits = side.shareLimits();
        long areaSize = side.allocationArea().size();
        if (share.commands >= limits.sessionCommands(slots.length)
                || share.bytes + units > limits.sessionBytes(areaSize)) {
            return false;
        }
        if (share.commands == 0 || share.commands < limits.guaranteedCommands(slots.length)
                && share.bytes + units <= limits.guaranteedBytes(areaSize)) {
            // A session's first command, and its guaranteed part, may use the reserve (SAM-5
            // 5.3.1: at least one command of every initiator should be accepted).
            side.holdData(units, Long.MAX_VALUE);
            return true;
        }
        if (freeCount - 1 < limits.reserveCommands(slots.length)) {
            return false;
        }
        return units == 0 || heldBytes + units <= limits.hostBytes(areaSize)
                && side.holdData(units, areaSize - limits.reserveBytes(areaSize));
    }

    private SessionShare shareOf(long nexusId) {
        SessionShare s = shares.get((int) nexusId);
        return s != null && s.nexusId == nexusId ? s : unknownNexus;
    }

    private void forgetShare(long nexusId) {
        synchronized (freeSlots) {
            SessionShare s = shares.get((int) nexusId);
            if (s != null && s.nexusId == nexusId) {
                shares.remove((int) nexusId);
            }
        }
    }

    private void returnSlot(CommandSlot slot) {
        slot.state = CommandSlot.State.FREE;
        slot.setContext(null);
        synchronized (freeSlots) {
            SessionShare share = slot.share;
            if (share != null) {
                long units = slot.heldUnits;
                share.commands--;
                share.bytes -= units;
                heldBytes -= units;
                side.releaseData(units);
                slot.share = null;
                slot.heldUnits = 0;
            }
            freeSlots[freeCount++] = slot.index;
            if (waiters > 0) {
                freeSlots.notifyAll();
            }
        }
    }

    /** Data held by this host's commands (whole blocks), for diagnostics and tests. */
    long heldBytes() {
        synchronized (freeSlots) {
            return heldBytes;
        }
    }

    /** Free command slots, for diagnostics and tests. */
    int freeSlots() {
        synchronized (freeSlots) {
            return freeCount;
        }
    }

    /** Commands and data {@code nexusId} holds now: {commands, bytes}; for diagnostics and tests. */
    long[] held(long nexusId) {
        synchronized (freeSlots) {
            SessionShare s = shareOf(nexusId);
            return new long[] {s.commands, s.bytes};
        }
    }

    private void freeData(CommandSlot slot) {
        if (slot.capacity > 0) {
            slot.area.free(slot.dataOffset, slot.capacity);
            slot.capacity = 0;
        }
    }

    private CommandSlot own(HostCommand command, CommandSlot.State expected, String what) {
        if (!(command instanceof CommandSlot) || ((CommandSlot) command).host != this) {
            throw new IllegalArgumentException(what + ": " + command + " is not a command of host " + hostNo);
        }
        CommandSlot slot = (CommandSlot) command;
        if (slot.state != expected) {
            throw new IllegalStateException(what + ": " + slot + " is " + slot.state + ", expected " + expected);
        }
        return slot;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("SCSI host " + hostNo + " is closed");
        }
    }

    private static byte[] names(String initiatorPortName, String targetName) {
        return (initiatorPortName + '\0' + targetName).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "host " + hostNo + " (" + driverName + ")";
    }
}
