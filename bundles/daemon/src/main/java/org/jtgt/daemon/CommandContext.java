package org.jtgt.daemon;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.EventHeader;
import org.jtgt.api.event.ItNexusReqEvent;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.store.IoCompletion;
import org.jtgt.api.store.MiscompareException;
import org.jtgt.api.transport.DataArea;
import org.jtgt.api.transport.TransportEndpoint;

/**
 * One task: everything a command needs from the moment the task router accepts it until its
 * answer has been sent, so the READ/WRITE/TEST UNIT READY path allocates nothing (STYLE.md, "No
 * allocation per command"): the CDB bytes, the decoded request, the results a handler leaves
 * (transfer length, sense detail), the sense and response-record scratch, a private duplicate of
 * the data area's buffer for positional I/O against the backing store, and the links that put it
 * in its unit's {@link TaskSet} and {@link UnitWorkers} queue. Tasks are pooled by the
 * {@link TaskRouter}; a command that runs on a store worker or waits for an asynchronous store
 * keeps its task until it is answered.
 *
 * <p>Data-In is written straight into the data area at the command's data reference with
 * {@link #putIn} and friends, which drop bytes beyond the room the initiator gave: handlers
 * write their whole payload and {@link #produce} the length they would send.
 *
 * <p>As the {@link IoCompletion} of its own asynchronous store I/O ({@link #submitted}), a task
 * either learns the result before the submit returned (a store that completes inline: the
 * handler goes on synchronously) or is finished by the completing thread.
 */
final class CommandContext implements IoCompletion, TaskRouter.Pending {
    /** Bytes VERIFY reads from the medium per chunk when comparing. */
    static final int VERIFY_CHUNK = 64 * 1024;
    /** One scratch buffer per thread that compares or merges medium bytes (VERIFY, ORWRITE, ...). */
    private static final ThreadLocal<ByteBuffer> VERIFY_SCRATCH =
            ThreadLocal.withInitial(() -> ByteBuffer.allocate(VERIFY_CHUNK));

    // ---- asynchronous store I/O: who finishes the task ----
    static final int IO_NONE = 0;
    /** Submitted; the submit has not returned yet. */
    static final int IO_SUBMITTING = 1;
    /** The submit returned before the completion came: the completing thread finishes the task. */
    static final int IO_SUBMITTED = 2;
    /** The completion came before the submit returned: the submitting thread goes on. */
    static final int IO_DONE_EARLY = 3;
    static final int KIND_READ = 1;
    static final int KIND_WRITE = 2;
    static final int KIND_FLUSH = 3;
    static final int KIND_COMPARE_AND_WRITE = 4;
    private static final VarHandle IO_STATE;
    private static final VarHandle ENDING;

    static {
        try {
            IO_STATE = MethodHandles.lookup().findVarHandle(CommandContext.class, "ioState", int.class);
            ENDING = MethodHandles.lookup().findVarHandle(CommandContext.class, "ending", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The router that runs and finishes this task; null for a context that only builds records. */
    final TaskRouter router;

    final byte[] cdb = new byte[CmdReqEvent.MAX_CDB_LENGTH];
    final byte[] sense = new byte[CmdRspEvent.MAX_SENSE_LENGTH];
    /** One answer record of any type. */
    final ByteBuffer record = ByteBuffer.allocate(EventHeader.MAX_RECORD_LENGTH);
    /** Reads the names blob of a nexus request. */
    final byte[] names = new byte[ItNexusReqEvent.MAX_NAMES_LENGTH];
    /** One mode page image (MODE SENSE, MODE SELECT). */
    final byte[] modePage = new byte[ModePages.LARGEST_PAGE];

    /** A context that only builds records (task management, nexus requests). */
    CommandContext() {
        this(null);
    }

    CommandContext(TaskRouter router) {
        this.router = router;
    }

    private DataArea cachedArea;
    private ByteBuffer cachedSource;
    private ByteBuffer data;
    /** The same memory as {@link #data}, for positional backing-store I/O ({@link #window}). */
    private ByteBuffer io;
    /** A second positional view, for a store call that takes two ranges ({@link #secondWindow}). */
    private ByteBuffer io2;

    // ---- the request ----
    int hostNo;
    long cid;
    int cdbLength;
    int tag;
    /** EXPECTED DATA TRANSFER LENGTH, unsigned. */
    long expectedLength;
    /** {@link System#nanoTime} when the daemon received the command, for the unit's latency histogram. */
    long received;
    int dataOffset;
    DataDirection direction;
    /** Data-In room: min(expected length, reserved data length) when the direction reads, else 0. */
    int inLimit;
    /** Data-Out bytes present: min(expected length, reserved data length) when the direction writes. */
    int outAvailable;

    /** The endpoint the command came from and is answered through. */
    TransportEndpoint from;
    /** SAM-5 task attribute from the request. */
    TaskAttribute attribute = TaskAttribute.SIMPLE;
    /** The command's dispatch entry, kept for a start on another thread. */
    CommandTable.Entry entry;

    // ---- the unit's task set (guarded by the TaskSet) ----
    CommandContext setPrev;
    CommandContext setNext;
    int setState;
    /** Task management ended this task: it is answered as aborted, not with its result. */
    boolean aborted;
    /** Task management functions waiting for this task to leave the set. */
    TaskManager.Wait waiter;
    List<TaskManager.Wait> moreWaiters;
    /** Chains tasks to start ({@link TaskSet#exit}) and tasks to answer as aborted. */
    CommandContext startNext;
    CommandContext abortNext;

    // ---- the unit's worker queue (guarded by UnitWorkers) ----
    /**
     * Set while a READ over a store that blocks runs on the thread that delivered it
     * ({@link TaskRouter#start}): the handler may only ask the store's {@code readNow}, and sets
     * {@link #notNow} when the store cannot serve it that way, so that it goes to the workers.
     */
    boolean nowOnly;
    boolean notNow;
    CommandContext queueNext;
    CommandContext queuePrev;
    boolean queued;

    // ---- asynchronous store I/O ----
    @SuppressWarnings("unused")   // through IO_STATE
    private volatile int ioState;
    /** 1 once something began to end the task ({@link #beginEnd}); 0 again when it is taken anew. */
    @SuppressWarnings("unused")   // through ENDING
    private volatile int ending;
    private int ioKind;
    private IOException ioResult;
    /** The write-order stamp a WRITE holds until its completion. */
    long writeStamp;

    // ---- resolved ----
    /** The daemon's target ports (INQUIRY VPD 83h, REPORT TARGET PORT GROUPS). */
    PortTable ports;
    Nexus nexus;
    Target target;
    /** The addressed unit, or {@code null} for commands that work without one. */
    LogicalUnit unit;
    /** The decoded LUN number, or {@link LunAddress#UNADDRESSABLE}. */
    int lun;

    // ---- decoded from the CDB by its family's decoder (BlockCdb) ----
    long lba;
    long blocks;
    boolean fua;
    /** CDB byte where the TRANSFER LENGTH field starts, for the sense field pointer. */
    int lengthField;
    /** BYTCHK of VERIFY and WRITE AND VERIFY ({@link VerifyCdb}). */
    int bytchk;
    /** WRITE SAME: NDOB (no Data-Out, a block of zeros) and UNMAP ({@link WriteSameCdb}). */
    boolean ndob;
    boolean unmap;
    /** ALLOCATION LENGTH of GET LBA STATUS and READ CAPACITY(16). */
    long allocationLength;
    /** START STOP UNIT: START, LOEJ, POWER CONDITION ({@link MediumCdb}). */
    boolean start;
    boolean loej;
    int powerCondition;
    /** PREVENT ALLOW MEDIUM REMOVAL: PREVENT ({@link MediumCdb}). */
    int prevent;

    // ---- results ----
    /** Bytes the command wanted to transfer (SAM-5 residual accounting). */
    long wanted;
    /** Bytes actually moved (Data-In produced or Data-Out consumed). */
    int transferred;
    /** INFORMATION field, or -1. */
    long information;
    int fieldPointer;
    int bitPointer;
    /** EXTENDED COPY: the segment descriptor a COPY ABORTED refers to, or -1 (SPC-4 4.5.2.4.5). */
    int copySegment;
    /** The backing store's complaint behind a MEDIUM ERROR, for the log. */
    IOException ioFailure;

    void reset() {
        nexus = null;
        target = null;
        unit = null;
        lun = LunAddress.UNADDRESSABLE;
        lba = 0;
        blocks = 0;
        fua = false;
        lengthField = -1;
        bytchk = 0;
        ndob = false;
        unmap = false;
        allocationLength = 0;
        start = false;
        loej = false;
        powerCondition = 0;
        prevent = 0;
        wanted = 0;
        transferred = 0;
        information = -1;
        fieldPointer = -1;
        bitPointer = -1;
        copySegment = -1;
        nowOnly = false;
        notNow = false;
        ioFailure = null;
        attribute = TaskAttribute.SIMPLE;
        entry = null;
        aborted = false;
        waiter = null;
        moreWaiters = null;
        startNext = null;
        abortNext = null;
        ioKind = 0;
        ioResult = null;
        writeStamp = 0;
        IO_STATE.setOpaque(this, IO_NONE);
        ENDING.setOpaque(this, 0);
    }

    /**
     * Claims the ending of this task (its answer or abort record, and its return to the pool):
     * true the first time after it was taken. A second claim is a daemon bug (two threads
     * that each believe they end the task); refusing it keeps one task from being answered
     * twice and pooled twice, which would let two later commands share it.
     */
    boolean beginEnd() {
        return ENDING.compareAndSet(this, 0, 1);
    }

    // ---- asynchronous store I/O ----

    /** Call right before a submit to {@code store} of this task's own {@link IoCompletion}. */
    void submitting(int kind) {
        ioKind = kind;
        ioResult = null;
        IO_STATE.setVolatile(this, IO_SUBMITTING);
    }

    /**
     * Call right after the submit returned; returns what the handler returns: the result when
     * the store completed during the submit (the handler's thread goes on), else
     * {@link SenseReason#ANSWERED_LATER}: the completing thread finishes the task, perhaps
     * already, so neither this method after its compare-and-set nor the handler's thread after
     * it may touch the task again.
     */
    SenseReason submitted() {
        if (IO_STATE.compareAndSet(this, IO_SUBMITTING, IO_SUBMITTED)) {
            return SenseReason.ANSWERED_LATER;
        }
        return ioReason(ioResult);
    }

    /**
     * The handler threw (on its own thread): true if the task is that thread's to answer. So it
     * is unless its store I/O was handed to the completion ({@link #submitted} won its CAS; no
     * handler throws after that). A store's submit that threw, against its contract, is taken
     * back: a completion that has not come is refused when it does, one that came during the
     * submit is dropped, and what the I/O held (a WRITE's share of the write order) is ended.
     */
    boolean takeBackSubmit() {
        if ((int) IO_STATE.getVolatile(this) == IO_SUBMITTED) {
            return false;
        }
        if (IO_STATE.compareAndSet(this, IO_SUBMITTING, IO_NONE)
                || IO_STATE.compareAndSet(this, IO_DONE_EARLY, IO_NONE)) {
            ioReason(ioResult);
        }
        return true;
    }

    @Override
    public void ioDone(IOException failure) {
        ioResult = failure;   // published by the CAS the submitter's submitted() then fails on
        if (IO_STATE.compareAndSet(this, IO_SUBMITTING, IO_DONE_EARLY)) {
            return;
        }
        if (!IO_STATE.compareAndSet(this, IO_SUBMITTED, IO_NONE)) {
            throw new IllegalStateException("store completed task cid " + cid + " twice");
        }
        if (!beginEnd()) {
            TaskRouter.endedTwice(this);   // touch nothing: the task may be pooled already
            return;
        }
        router.finishClaimed(this, ioReason(failure));
    }

    /** The command's outcome from its store I/O's; ends what the I/O held. */
    private SenseReason ioReason(IOException failure) {
        IO_STATE.setOpaque(this, IO_NONE);
        switch (ioKind) {
            case KIND_READ:
                if (failure != null) {
                    transferred = 0;
                    information = lba;
                    ioFailure = failure;
                    return SenseReason.ofReadFailure(failure);
                }
                return SenseReason.NONE;
            case KIND_COMPARE_AND_WRITE:
                if (failure instanceof MiscompareException m) {
                    information = m.offset();   // from the start of Data-Out, as SBC-3 5.2 counts
                    return SenseReason.MISCOMPARE_DURING_VERIFY_OPERATION;
                }
                if (failure != null) {
                    information = lba;
                    ioFailure = failure;
                    return SenseReason.ofWriteFailure(failure);
                }
                return SenseReason.NONE;
            case KIND_WRITE:
                unit.endWrite(writeStamp);
                if (failure != null) {
                    information = lba;
                    ioFailure = failure;
                    return SenseReason.ofWriteFailure(failure);
                }
                return SenseReason.NONE;
            default:
                if (failure != null) {
                    ioFailure = failure;
                    return SenseReason.ofWriteFailure(failure);
                }
                return SenseReason.NONE;
        }
    }

    // ---- TaskRouter.Pending: a handler that answers later itself ----

    @Override
    public void complete(SenseReason r) {
        router.finish(this, r);
    }

    /** Registers a task management function that waits for this task (guarded by the task set). */
    void addWaiter(TaskManager.Wait w) {
        if (waiter == null) {
            waiter = w;
        } else {
            if (moreWaiters == null) {
                moreWaiters = new ArrayList<>(2);
            }
            moreWaiters.add(w);
        }
    }

    /** Points the sense-key specific field at CDB byte {@code index} and returns INVALID FIELD IN CDB. */
    SenseReason invalidField(int index) {
        fieldPointer = index;
        bitPointer = -1;
        return SenseReason.INVALID_FIELD_IN_CDB;
    }

    /** Like {@link #invalidField(int)} for one bit of that byte. */
    SenseReason invalidField(int index, int bit) {
        fieldPointer = index;
        bitPointer = bit;
        return SenseReason.INVALID_FIELD_IN_CDB;
    }

    /** Points the field pointer at parameter list byte {@code index} (bit {@code bit}, or -1) and returns INVALID FIELD IN PARAMETER LIST. */
    SenseReason invalidParameter(int index, int bit) {
        fieldPointer = index;
        bitPointer = bit;
        return SenseReason.INVALID_FIELD_IN_PARAMETER_LIST;
    }

    /**
     * This thread's duplicate of {@code area}'s buffer, positioned nowhere in particular; made
     * again only when the area changes (a new endpoint), never per command. Relies on
     * {@link DataArea#buffer()} returning the same instance on every call, as the shared-memory
     * area does; a transport that hands out a fresh duplicate each time would cost one
     * allocation per command here.
     */
    ByteBuffer data(DataArea area) {
        ByteBuffer src = area.buffer();
        if (area != cachedArea || src != cachedSource) {
            cachedArea = area;
            cachedSource = src;
            data = src.duplicate();
            io = src.duplicate();
            io2 = null;
        }
        return data;
    }

    /** The data view bound by the last {@link #data(DataArea)} call. */
    ByteBuffer data() {
        return data;
    }

    /** Positions the data view on {@code [dataOffset + from, dataOffset + from + length)}. */
    ByteBuffer window(int from, int length) {
        // A view of its own: absolute accesses through `data` check against its limit, which
        // must stay at the capacity whatever I/O window the previous command set.
        ByteBuffer d = io;
        d.clear();
        d.position(dataOffset + from);
        d.limit(dataOffset + from + length);
        return d;
    }

    /** This thread's compare buffer ({@link #VERIFY_CHUNK} bytes). */
    /** Like {@link #window} through a second view, so two ranges can be handed to a store at once. */
    ByteBuffer secondWindow(int from, int length) {
        if (io2 == null) {
            io2 = cachedSource.duplicate();   // once per task and data area
        }
        ByteBuffer d = io2;
        d.clear();
        d.position(dataOffset + from);
        d.limit(dataOffset + from + length);
        return d;
    }

    ByteBuffer verifyScratch() {
        return VERIFY_SCRATCH.get();
    }

    // ---- Data-Out parameter lists (big-endian, read byte by byte whatever the buffer's order) ----

    int outU8(int pos) {
        return data.get(dataOffset + pos) & 0xFF;
    }

    int outU16(int pos) {
        return outU8(pos) << 8 | outU8(pos + 1);
    }

    long outU32(int pos) {
        return (long) outU16(pos) << 16 | outU16(pos + 2);
    }

    long outU64(int pos) {
        return outU32(pos) << 32 | outU32(pos + 4);
    }

    // ---- Data-In, bounded by the initiator's room ----

    void putIn(int pos, int value) {
        if (pos < inLimit) {
            data.put(dataOffset + pos, (byte) value);
        }
    }

    void putIn16(int pos, int value) {
        putIn(pos, value >>> 8);
        putIn(pos + 1, value);
    }

    void putIn32(int pos, long value) {
        putIn(pos, (int) (value >>> 24));
        putIn(pos + 1, (int) (value >>> 16));
        putIn(pos + 2, (int) (value >>> 8));
        putIn(pos + 3, (int) value);
    }

    void putIn64(int pos, long value) {
        putIn32(pos, value >>> 32);
        putIn32(pos + 4, value);
    }

    void putIn(int pos, byte[] src, int from, int length) {
        int n = Math.min(length, inLimit - pos);
        if (n > 0) {
            data.put(dataOffset + pos, src, from, n);
        }
    }

    /** Zeroes {@code [from, to)} of the payload (the data area holds whatever was there before). */
    void zeroIn(int from, int to) {
        int end = Math.min(to, inLimit);
        for (int i = from; i < end; i++) {
            data.put(dataOffset + i, (byte) 0);
        }
    }

    /**
     * Declares a Data-In payload of {@code length} bytes returned under an allocation length of
     * {@code allocationLength} (SPC-4 4.3, ALLOCATION LENGTH field: the device server sends the lesser of the two).
     */
    void produce(int length, long allocationLength) {
        wanted = Math.min(length, allocationLength);
        transferred = (int) Math.min(wanted, inLimit);
    }
}
