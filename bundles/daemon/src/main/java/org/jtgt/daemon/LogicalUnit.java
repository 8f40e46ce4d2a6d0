package org.jtgt.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.StampedLock;

import org.jtgt.api.metrics.LatencyHistogram;
import org.jtgt.api.store.AsyncBackingStore;
import org.jtgt.api.store.BackingStore;
import org.jtgt.api.target.LunInfo;
import org.jtgt.api.target.LunOptions;

/**
 * One logical unit of a target: a backing store seen as {@link #blockCount()} blocks of
 * {@link #blockSize()} bytes, its identity (serial number, NAA designator) and an in-flight
 * counter so removal can drain commands before the store is closed (STYLE.md, "Unbinding is a
 * protocol"; SPDK's LUN hot-remove).
 */
final class LogicalUnit {
    /** NUMBER OF LOGICAL BLOCKS of COMPARE AND WRITE is one byte (SBC-3 5.2). */
    static final int MAX_COMPARE_AND_WRITE_BLOCKS = 255;
    /** TRANSFER LENGTH of WRITE ATOMIC(16) is two bytes (SBC-4). */
    static final int MAX_WRITE_ATOMIC_16_BLOCKS = 0xFFFF;
    /** LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT is a 4-bit field (SBC-3 5.17). */
    static final int MAX_PHYSICAL_BLOCK_EXPONENT = 15;
    /** Longest serial number accepted for VPD page 80h. */
    static final int MAX_SERIAL_LENGTH = 64;

    /** NAA 3h: locally assigned (SPC-4 7.8.6, NAA designator format), so no IEEE company ID is claimed. */
    private static final long NAA_LOCALLY_ASSIGNED = 0x3L << 60;
    private static final long NAA_VALUE_MASK = 0x0FFF_FFFF_FFFF_FFFFL;

    private final String targetName;
    private final int lun;
    private final BackingStore store;
    private final int blockSize;
    private final int blockShift;
    /** Grows (LUN resize) and never shrinks, so a range checked against any value read stays valid. */
    private volatile long blockCount;
    private final int maxTransferBlocks;
    /** LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT (SBC-3 5.17, READ CAPACITY(16)). */
    private final int physicalBlockExponent;
    /** Replaced whole by {@link #setOptions}; commands read it once per check. */
    private volatile LunOptions options;
    private final byte[] serial;
    private final long naa;
    private final AtomicInteger inflight = new AtomicInteger();
    /** Every task addressed to this unit until it is answered (SAM-5 task set). */
    private final TaskSet tasks = new TaskSet();
    /** The store as an asynchronous one, or null. */
    private final AsyncBackingStore async;
    /** Threads for a store that blocks, or null for one that never does. */
    private final UnitWorkers workers;
    private final IoCounters counters = new IoCounters();
    private final LatencyHistogram latency = new LatencyHistogram();
    private volatile boolean removed;
    /** The I_T nexus holding the SPC-2 reservation (RESERVE(6)/(10)), or null. */
    private volatile Nexus reservationHolder;
    /**
     * The holder of an SPC-2 reservation taken over from the split shape's previous daemon
     * process ({@link KeptState#holderName}) while the front has not given its nexus again, or null.
     */
    private volatile String awaitedHolder;
    /** I_T nexuses with medium removal prevented (SBC-3 5.15); guarded by {@code this}. */
    private final Set<Nexus> preventing = new HashSet<>();
    /** Orders writers: plain writes share it, read-modify-writes (COMPARE AND WRITE, ORWRITE) own it. */
    private final StampedLock writeOrder = new StampedLock();
    /** The target's ROD tokens once one was made from this unit ({@link #mediumChanging}). */
    private volatile RodTokens rodTokens;
    private final int maxCompareAndWriteBlocks;
    /** SPC-4 persistent reservations; they survive I_T nexus loss and logical unit reset. */
    private final PersistentReservations persistentReservations = new PersistentReservations();
    private volatile org.jtgt.api.store.SharedUnitResets sharedResets;
    /** False once START STOP UNIT has ejected a removable unit's medium. */
    private volatile boolean mediumPresent = true;
    /**
     * Control mode page D_SENSE: sense data in descriptor format; set by MODE SELECT, lost at
     * restart (kept across the split shape's daemon processes: {@link KeptState}).
     */
    private volatile boolean descriptorSense;
    /** Control mode page SWP: set by MODE SELECT, lost at restart (no saved pages; kept as D_SENSE is). */
    private volatile boolean softwareWriteProtect;
    /** Caching mode page WCE: set by MODE SELECT, lost at restart (no saved pages; kept as D_SENSE is). */
    private volatile boolean writeCacheEnabled = true;
    private final Object modeParameters = new Object();
    /** The split shape's daemon: where the mode parameters are kept for the next daemon process, or null. */
    private volatile KeptState kept;
    /** The running SANITIZE operation, or null (SBC-4 sanitize operation). */
    private volatile Sanitize.Job sanitizing;
    /** The last SANITIZE failed: 0 no, 1 yes, 2 yes and it had AUSE set; guarded by {@code this}. */
    private volatile int sanitizeFailure;
    /** The soft threshold on used space and its mode pages (thin units). */
    private final ProvisioningThreshold provisioning = new ProvisioningThreshold();

    LogicalUnit(String targetName, int lun, BackingStore store, int blockSize, LunOptions options,
                int maxTransferBytes) {
        this(targetName, lun, store, blockSize, options, maxTransferBytes, UnitWorkers.DEFAULT_THREADS);
    }

    /** @param storeThreads most worker threads for a store that blocks ({@link UnitWorkers}) */
    LogicalUnit(String targetName, int lun, BackingStore store, int blockSize, LunOptions options,
                int maxTransferBytes, int storeThreads) {
        this.targetName = targetName;
        this.async = store instanceof AsyncBackingStore ? (AsyncBackingStore) store : null;
        this.workers = store.blocks() ? new UnitWorkers("lun" + lun, storeThreads) : null;
        this.lun = lun;
        this.store = store;
        this.blockSize = blockSize;
        this.blockShift = Integer.numberOfTrailingZeros(blockSize);
        this.blockCount = store.size() >>> blockShift;
        this.maxTransferBlocks = Math.max(1, maxTransferBytes >>> blockShift);
        // Data-Out carries the blocks twice, so half a transfer, and the CDB field is one byte.
        int caw = Math.max(1, Math.min(MAX_COMPARE_AND_WRITE_BLOCKS, maxTransferBlocks / 2));
        if (async != null && async.comparesAndWrites()) {
            // the store's own atomic operation may take less (rbd on Ceph 16.2: one 512-byte sector);
            // below one block there is no COMPARE AND WRITE (Block Limits says 0)
            caw = (int) Math.min(caw, (async.compareAndWriteLimit() & 0xFFFF_FFFFL) >>> blockShift);
        }
        this.maxCompareAndWriteBlocks = caw;
        this.options = options;
        this.physicalBlockExponent = options.physicalBlockSize() > blockSize
                ? Integer.numberOfTrailingZeros(options.physicalBlockSize() / blockSize) : 0;
        long identity = identity(targetName, lun);
        this.naa = NAA_LOCALLY_ASSIGNED | (identity & NAA_VALUE_MASK);
        String s = options.serial() != null ? options.serial() : String.format("%016x", identity);
        this.serial = s.getBytes(StandardCharsets.US_ASCII);
        provisioning.configure(this, options.softThreshold());
    }

    /** A stable 64-bit identity for target + LUN: the first 8 bytes of their SHA-256. */
    private static long identity(String targetName, int lun) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(targetName.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update((byte) (lun >>> 8));
            sha.update((byte) lun);
            byte[] d = sha.digest();
            long v = 0;
            for (int i = 0; i < Long.BYTES; i++) {
                v = v << 8 | (d[i] & 0xFF);
            }
            return v;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
        }
    }

    /**
     * Checks a physical block size against the logical one; returns an error message or
     * {@code null}. The exponent field of READ CAPACITY(16) has four bits (SBC-3 5.17).
     */
    static String checkPhysicalBlockSize(int physicalBlockSize, int blockSize) {
        if (physicalBlockSize == 0 || physicalBlockSize == blockSize) {
            return null;
        }
        if (physicalBlockSize < blockSize || Integer.bitCount(physicalBlockSize) != 1
                || Integer.numberOfTrailingZeros(physicalBlockSize / blockSize) > MAX_PHYSICAL_BLOCK_EXPONENT) {
            return "physical block size " + physicalBlockSize + " must be the logical block size " + blockSize
                    + " times a power of two up to 2^" + MAX_PHYSICAL_BLOCK_EXPONENT;
        }
        return null;
    }

    /** Checks a user-supplied serial number; returns an error message or {@code null}. */
    static String checkSerial(String serial) {
        if (serial == null) {
            return null;
        }
        if (serial.isEmpty() || serial.length() > MAX_SERIAL_LENGTH) {
            return "serial number must have 1.." + MAX_SERIAL_LENGTH + " characters";
        }
        for (int i = 0; i < serial.length(); i++) {
            char c = serial.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                return "serial number must be printable ASCII without spaces (VPD page 80h)";
            }
        }
        return null;
    }

    String targetName() {
        return targetName;
    }

    int lun() {
        return lun;
    }

    BackingStore store() {
        return store;
    }

    /** The store's asynchronous side, or null if it has none. */
    AsyncBackingStore async() {
        return async;
    }

    /** The unit's task set. */
    TaskSet tasks() {
        return tasks;
    }

    /** The worker threads of a store that blocks; null when the store never blocks. */
    UnitWorkers workers() {
        return workers;
    }

    int blockSize() {
        return blockSize;
    }

    /** log2 of the block size: byte offsets are {@code lba << blockShift()}. */
    int blockShift() {
        return blockShift;
    }

    long blockCount() {
        return blockCount;
    }

    /**
     * Publishes a larger capacity, after the store has grown to hold it (the admin lock is
     * held). Commands that read the old count checked a range the new one still contains.
     */
    void grown(long blocks) {
        if (blocks < blockCount) {
            throw new IllegalArgumentException("a logical unit never shrinks");
        }
        blockCount = blocks;
    }

    /**
     * Replaces the options (the admin lock is held; the serial number is the caller's to keep).
     * A unit that stops being removable gets its medium back and forgets every prevention of
     * removal, since START STOP UNIT and PREVENT ALLOW MEDIUM REMOVAL no longer apply to it.
     */
    synchronized void setOptions(LunOptions next) {
        if (!next.removable()) {
            preventing.clear();
            mediumPresent = true;
        }
        LunOptions old = options;
        options = next;
        if (old.softThreshold() != next.softThreshold() || old.thin() != next.thin()) {
            synchronized (modeParameters) {
                provisioning.configure(this, next.softThreshold());
                keepModeParameters();
            }
        }
    }

    /** The soft threshold on used space, with the mode pages that set it. */
    ProvisioningThreshold provisioning() {
        return provisioning;
    }

    /**
     * log2 of the logical blocks per physical block (READ CAPACITY(16) LOGICAL BLOCKS PER
     * PHYSICAL BLOCK EXPONENT); physical blocks are aligned at LBA 0 (LOWEST ALIGNED LBA 0).
     */
    int physicalBlockExponent() {
        return physicalBlockExponent;
    }

    /** Logical blocks per physical block: OPTIMAL TRANSFER LENGTH GRANULARITY (Block Limits VPD). */
    int blocksPerPhysicalBlock() {
        return 1 << physicalBlockExponent;
    }

    /** The MAXIMUM TRANSFER LENGTH reported in the Block Limits VPD page and enforced. */
    int maxTransferBlocks() {
        return maxTransferBlocks;
    }

    LunOptions options() {
        return options;
    }

    boolean readOnly() {
        return options.readOnly();
    }

    boolean removable() {
        return options.removable();
    }

    /**
     * Whether a command may change the medium now: NONE, WRITE PROTECTED for a read-only unit
     * (the LUN option), or LOGICAL UNIT SOFTWARE WRITE PROTECTED while the Control mode page's
     * SWP bit is set (SPC-4 Control mode page). Lock-free: read by every medium-changing command.
     */
    SenseReason writeProtection() {
        if (options.readOnly()) {
            return SenseReason.WRITE_PROTECTED;
        }
        return softwareWriteProtect ? SenseReason.SOFTWARE_WRITE_PROTECTED : SenseReason.NONE;
    }

    /** True if the medium is write-protected either way (MODE SENSE: WP in the device-specific parameter). */
    boolean writeProtected() {
        return options.readOnly() || softwareWriteProtect;
    }

    // ---- mode parameters (MODE SELECT, SPC-4 6.11): one set per logical unit, not saved ----

    /** The Control mode page's SWP bit, current value. */
    boolean softwareWriteProtect() {
        return softwareWriteProtect;
    }

    /**
     * Sets the current value of SWP; returns true if it changed. Callers hold
     * {@link #modeParameters()} so that checking and applying a MODE SELECT parameter list is one step.
     */
    boolean softwareWriteProtect(boolean swp) {
        boolean changed = softwareWriteProtect != swp;
        softwareWriteProtect = swp;
        return changed;
    }

    /** The Caching mode page's WCE bit, current value: false makes every write stable before GOOD. */
    boolean writeCacheEnabled() {
        return writeCacheEnabled;
    }

    /** Sets the current value of WCE under {@link #modeParameters()}; returns true if it changed. */
    boolean writeCacheEnabled(boolean wce) {
        boolean changed = writeCacheEnabled != wce;
        writeCacheEnabled = wce;
        return changed;
    }

    /**
     * True while the write cache is disabled (WCE = 0, SBC-3 Caching mode page): a command that
     * changes the medium returns GOOD only once its data is on stable storage, as if every write
     * had FUA set; deallocations are followed by a flush.
     */
    boolean writeThrough() {
        return !writeCacheEnabled;
    }

    /**
     * Writes to the store, the bytes stable before it returns when {@code fua} is set or the
     * write cache is disabled ({@link #writeThrough}): every medium write of a command goes here.
     */
    void writeMedium(long offset, ByteBuffer src, boolean fua) throws IOException {
        mediumChanging(offset, src.remaining());
        store.write(offset, src, fua || !writeCacheEnabled);
    }

    /** {@link #writeMedium} through the asynchronous store; {@code done} gets the outcome. */
    void submitWriteMedium(long offset, ByteBuffer src, boolean fua, CommandContext done) {
        mediumChanging(offset, src.remaining());
        async.submitWrite(offset, src, fua || !writeCacheEnabled, done);
    }

    /**
     * Called before anything changes the medium in {@code [offset, offset + length)} (bytes):
     * ROD tokens over those blocks are cancelled first ({@link RodTokens#written}). One volatile
     * read while no token was ever made from this unit.
     */
    void mediumChanging(long offset, long length) {
        RodTokens t = rodTokens;
        if (t != null) {
            t.written(this, offset, length);
        }
    }

    /** A token was made from this unit's blocks: its changes go to {@code tokens} from now on. */
    void watchedBy(RodTokens tokens) {
        rodTokens = tokens;
    }

    /** D_SENSE: CHECK CONDITION sense data of this unit is in descriptor format. */
    boolean descriptorSense() {
        return descriptorSense;
    }

    /** Sets D_SENSE (MODE SELECT, under {@link #modeParameters()}); true if it changed. */
    boolean descriptorSense(boolean on) {
        boolean was = descriptorSense;
        descriptorSense = on;
        return was != on;
    }

    /** The lock MODE SELECT holds while it checks a parameter list against, and applies it to, the current values. */
    Object modeParameters() {
        return modeParameters;
    }

    /** From now on the mode parameters are written to {@code k} whenever they change (the split shape's daemon). */
    void keepModeParameters(KeptState k) {
        kept = k;
    }

    /** {@link #modeParameters()} held: writes the current values for the next daemon process, if they are kept. */
    void keepModeParameters() {
        KeptState k = kept;
        if (k != null) {
            k.saveMode(this);
        }
    }

    /**
     * MAXIMUM WRITE SAME LENGTH (Block Limits VPD), enforced by WRITE SAME: as many blocks as
     * one transfer may carry, so a WRITE SAME costs no more time than the longest WRITE.
     */
    long maxWriteSameBlocks() {
        return maxTransferBlocks;
    }

    /** MAXIMUM COMPARE AND WRITE LENGTH (Block Limits VPD), enforced by COMPARE AND WRITE. */
    int maxCompareAndWriteBlocks() {
        return maxCompareAndWriteBlocks;
    }

    /**
     * MAXIMUM ATOMIC TRANSFER LENGTH (Block Limits VPD, SBC-4), enforced by WRITE ATOMIC:
     * what one transfer may carry, within the 16-bit TRANSFER LENGTH of WRITE ATOMIC(16).
     */
    int maxAtomicTransferBlocks() {
        return Math.min(maxTransferBlocks, MAX_WRITE_ATOMIC_16_BLOCKS);
    }

    /**
     * ATOMIC ALIGNMENT (Block Limits VPD): 0, no requirement. Every write is made atomic by the
     * write order, not by the medium's geometry, so no LBA is better aligned than another.
     */
    int atomicAlignment() {
        return 0;
    }

    /** ATOMIC TRANSFER LENGTH GRANULARITY (Block Limits VPD): 0, any number of blocks. */
    int atomicGranularity() {
        return 0;
    }

    /**
     * Every command that changes the medium holds the unit's write order while it does:
     * WRITE, WRITE AND VERIFY, WRITE SAME and UNMAP share it ({@link #beginWrite}), COMPARE AND
     * WRITE and ORWRITE own it ({@link #beginAtomicWrite}) across their read-compare/modify-write.
     * Commands run on the threads that deliver them, on the unit's store workers and, through an
     * asynchronous store, until that store completes them, so writers interleave freely; this
     * makes a read-modify-write atomic against all of them, at the price of one uncontended CAS
     * per plain write ({@link StampedLock#readLock()}: no allocation unless it has to wait). A
     * WRITE submitted to an asynchronous store holds its stamp until the completion (a stamp
     * belongs to no thread). Readers are not ordered: like any write, a COMPARE AND WRITE may be
     * seen half done by a concurrent READ.
     *
     * @return the stamp for {@link #endWrite}
     */
    long beginWrite() {
        return writeOrder.readLock();
    }

    void endWrite(long stamp) {
        writeOrder.unlockRead(stamp);
        provisioning.afterMediumChange(this);
    }

    /** Excludes every other writer of this unit; pair with {@link #endAtomicWrite}. */
    long beginAtomicWrite() {
        return writeOrder.writeLock();
    }

    void endAtomicWrite(long stamp) {
        writeOrder.unlockWrite(stamp);
        provisioning.afterMediumChange(this);
    }

    // ---- SPC-2 reservations (RESERVE/RELEASE) ----

    /** True unless another I_T nexus holds the reservation. Lock-free: read on every command. */
    boolean reservationAllows(Nexus n) {
        Nexus h = reservationHolder;
        return h == null ? awaitedHolder == null : h == n;
    }

    /** Reserves the unit for {@code n}; false if another nexus holds it (SPC-2 7.21). */
    synchronized boolean reserve(Nexus n) {
        Nexus h = reservationHolder;
        if (h != null && h != n || h == null && awaitedHolder != null) {
            return false;
        }
        reservationHolder = n;
        if (h == null) {
            keepReservation();
        }
        return true;
    }

    /** Releases the reservation if {@code n} holds it; otherwise nothing (SPC-2 7.17). */
    synchronized void release(Nexus n) {
        if (reservationHolder == n) {
            reservationHolder = null;
            keepReservation();
        }
    }

    /**
     * The holder of the SPC-2 reservation as {@link KeptState} names it ({@code RELATIVE-PORT
     * INITIATOR-PORT-NAME}), or null if the unit is not reserved.
     */
    String reservationHolderName() {
        Nexus h = reservationHolder;
        return h != null ? KeptState.holderName(h) : awaitedHolder;
    }

    /**
     * The split shape's daemon took over the unit reserved by the nexus named {@code holder}
     * ({@link #reservationHolderName()}): until the front gives that nexus again no other passes,
     * and then it holds the reservation ({@link #nexusGivenAgain}).
     */
    synchronized void awaitReservationHolder(String holder) {
        if (reservationHolder == null) {
            awaitedHolder = holder;
        }
    }

    /** A nexus the front gave this daemon process: the holder of the reservation, if it awaited it. */
    synchronized void nexusGivenAgain(Nexus n) {
        String awaited = awaitedHolder;
        if (awaited != null && awaited.equals(KeptState.holderName(n))) {
            awaitedHolder = null;
            reservationHolder = n;
        }
    }

    /** Writes the reservation's holder for the next daemon process, if the unit's state is kept. */
    private void keepReservation() {
        KeptState k = kept;
        if (k != null) {
            k.saveMode(this);
        }
    }

    /** The unit's persistent reservations (PERSISTENT RESERVE IN/OUT, SPC-4 5.13). */
    PersistentReservations persistentReservations() {
        return persistentReservations;
    }

    /** The resets the other gateways serving this unit's store share ({@link SharedResets}), or null. */
    org.jtgt.api.store.SharedUnitResets sharedResets() {
        return sharedResets;
    }

    void sharedResets(org.jtgt.api.store.SharedUnitResets r) {
        sharedResets = r;
    }

    // ---- removable medium (SBC-3 5.15, 5.25) ----

    /** Sets or clears {@code n}'s prevention of medium removal. */
    synchronized void preventRemoval(Nexus n, boolean prevent) {
        if (prevent) {
            preventing.add(n);
        } else {
            preventing.remove(n);
        }
    }

    boolean mediumPresent() {
        return mediumPresent;
    }

    /**
     * Ejects ({@code false}) or loads the medium; fails while an I_T nexus prevents medium
     * removal (the tray is locked both ways).
     */
    synchronized boolean moveMedium(boolean present) {
        if (!preventing.isEmpty()) {
            return false;
        }
        mediumPresent = present;
        return true;
    }

    /**
     * I_T nexus loss (logout, I_T NEXUS RESET): the nexus's reservation is released (SPC-2 5.5.1)
     * and its prevention of medium removal ends (SBC-3 5.15).
     */
    synchronized void nexusLost(Nexus n) {
        nexusLost(n, false);
    }

    /**
     * Like {@link #nexusLost(Nexus)}; {@code livesOn}: the transport ended under the nexus, which
     * lives on in the split shape's front for the next daemon process, so the reservation it
     * holds stays written down for that process (this one forgets it).
     */
    synchronized void nexusLost(Nexus n, boolean livesOn) {
        if (reservationHolder == n) {
            reservationHolder = null;
            if (!livesOn) {
                keepReservation();
            }
        }
        preventing.remove(n);
    }

    /**
     * LOGICAL UNIT RESET and hard reset: every SPC-2 reservation is released (SPC-2 5.5.1) and
     * every prevention of medium removal ends (SBC-3 5.15). Persistent reservations stay (SPC-4 5.13.1).
     */
    synchronized void reset() {
        boolean reserved = reservationHolder != null || awaitedHolder != null;
        reservationHolder = null;
        awaitedHolder = null;
        preventing.clear();
        if (reserved) {
            keepReservation();
        }
    }

    // ---- SANITIZE (SBC-4 sanitize operation) ----

    /** Marks {@code job} as the unit's running sanitize operation; false if one already runs. */
    synchronized boolean beginSanitize(Sanitize.Job job) {
        if (sanitizing != null) {
            return false;
        }
        sanitizing = job;
        return true;
    }

    /** Ends {@code job}: a success clears failure mode, a failure enters it. */
    synchronized void endSanitize(Sanitize.Job job, boolean succeeded) {
        if (sanitizing == job) {
            sanitizing = null;
            sanitizeFailure = succeeded ? 0 : job.ause ? 2 : 1;
        }
    }

    /** True while a sanitize operation runs. Lock-free: read on every command. */
    boolean sanitizing() {
        return sanitizing != null;
    }

    /** The running operation's progress (a fraction of 65 536), or -1 when none runs. */
    int sanitizeProgress() {
        Sanitize.Job j = sanitizing;
        return j == null ? -1 : j.progress();
    }

    /** True in sanitize failure mode (the last SANITIZE failed). */
    boolean sanitizeFailed() {
        return sanitizeFailure != 0;
    }

    /** EXIT FAILURE MODE: false if the failed operation did not allow it (AUSE = 0). */
    synchronized boolean exitSanitizeFailure() {
        if (sanitizeFailure == 1) {
            return false;
        }
        sanitizeFailure = 0;
        return true;
    }

    /** The serial number as ASCII bytes (VPD page 80h); never modify. */
    byte[] serial() {
        return serial;
    }

    /** The 8-byte NAA designator (VPD page 83h). */
    long naa() {
        return naa;
    }

    /**
     * Admits one command. Pair every {@code true} with {@link #release()}.
     *
     * @return false once the unit is being removed
     */
    boolean acquire() {
        inflight.incrementAndGet();
        if (removed) {
            inflight.decrementAndGet();
            return false;
        }
        return true;
    }

    void release() {
        inflight.decrementAndGet();
    }

    /**
     * Stops admitting commands and waits up to {@code timeoutMillis} for those already running.
     *
     * @return true if none is running any more
     */
    boolean retire(long timeoutMillis) {
        removed = true;
        if (workers != null) {
            workers.close();   // threads end once the queue is empty; nothing new is admitted
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (inflight.get() > 0) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
        }
        return true;
    }

    /** Commands addressed to this unit over all nexuses, counted by the thread that executes them. */
    IoCounters counters() {
        return counters;
    }

    /** From receiving each command to answering it. */
    LatencyHistogram latency() {
        return latency;
    }

    /** Tasks holding the unit now (running or waiting in its task set). */
    int tasksInFlight() {
        return inflight.get();
    }

    LunInfo info() {
        return new LunInfo(lun, store.describe(), store.size(), blockSize, options);
    }
}
