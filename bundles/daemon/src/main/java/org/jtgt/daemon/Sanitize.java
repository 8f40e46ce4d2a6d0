package org.jtgt.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SANITIZE (SBC-4 SANITIZE command and the sanitize operation): OVERWRITE (01h) writes the
 * initialization pattern over every block, OVERWRITE COUNT times, inverted between passes when
 * INVERT is set; BLOCK ERASE (02h) deallocates every block through the backing store (thin
 * stores give the space back, every store reads zeros afterwards: WABEREQ 01b); EXIT FAILURE
 * MODE (1Fh) leaves the failure mode of a sanitize that failed with AUSE set. CRYPTOGRAPHIC
 * ERASE (03h) is not offered: no store encrypts, so there is no key whose change would erase
 * anything, and the service action is INVALID FIELD IN CDB like any other unsupported one.
 *
 * <p>SANITIZE changes the whole medium, so a write-protected unit refuses it with DATA PROTECT,
 * WRITE PROTECTED. While the operation runs every command but INQUIRY, REPORT LUNS, REQUEST
 * SENSE and REPORT SUPPORTED OPERATION CODES is NOT READY, SANITIZE IN PROGRESS (checked by the
 * task router), REQUEST SENSE reports the same with a progress indication, and the operation
 * owns the unit's write order, so writers already running finish first. Task management does
 * not stop it (SBC-4). The operation runs on a thread of its own: with IMMED the command
 * completes at once, without it is answered when the operation ends (the delivering thread is
 * not held, so other units and other commands go on meanwhile). A
 * failed operation leaves the unit in failure mode: medium access is MEDIUM ERROR, SANITIZE
 * COMMAND FAILED until a SANITIZE succeeds or, if the failed one had AUSE set, EXIT FAILURE MODE.
 */
final class Sanitize {
    private static final Logger LOG = LoggerFactory.getLogger(Sanitize.class);

    // ---- CDB (SBC-4) ----
    static final int IMMED = 0x80;
    static final int RESERVED_BIT = 0x40;
    static final int AUSE = 0x20;
    static final int PARAMETER_LIST_LENGTH_OFFSET = 7;

    // ---- OVERWRITE parameter list (SBC-4) ----
    static final int OVERWRITE_HEADER = 4;
    static final int INVERT = 0x80;
    static final int TEST_MASK = 0x60;
    static final int OVERWRITE_COUNT_MASK = 0x1F;

    /** Bytes the operation writes or deallocates between two progress updates. */
    static final int ERASE_CHUNK = 16 << 20;
    /** Progress indication: a fraction of 65 536 (SPC-4 4.5.2.4.3). */
    static final int PROGRESS_ONE = 0x10000;

    private Sanitize() {
    }

    /** One sanitize operation of one unit; {@link #progress()} is read by REQUEST SENSE. */
    static final class Job implements Runnable {
        final LogicalUnit unit;
        final int serviceAction;
        final boolean ause;
        final byte[] pattern;
        final int passes;
        final boolean invert;
        private volatile int progress;
        IOException failure;

        Job(LogicalUnit unit, int serviceAction, boolean ause, byte[] pattern, int passes, boolean invert) {
            this.unit = unit;
            this.serviceAction = serviceAction;
            this.ause = ause;
            this.pattern = pattern;
            this.passes = passes;
            this.invert = invert;
        }

        int progress() {
            return progress;
        }

        /**
         * Runs the operation and ends the unit's sanitize state; {@link #failure} tells how it
         * went. A store that throws a RuntimeException fails the operation like an I/O error; an
         * Error leaves the unit in failure mode and goes on to the thread's uncaught-exception
         * policy.
         */
        @Override
        public void run() {
            long started = System.nanoTime();
            long stamp = unit.beginAtomicWrite();
            boolean completed = false;
            try {
                unit.mediumChanging(0, Long.MAX_VALUE);   // every ROD token over the unit is cancelled
                if (serviceAction == Opcodes.SA_SANITIZE_OVERWRITE) {
                    overwrite();
                } else {
                    erase();
                }
                unit.store().flush();
                completed = true;
            } catch (IOException e) {
                failure = e;
            } catch (RuntimeException e) {
                failure = new IOException("internal error: " + e, e);
            } finally {
                unit.endAtomicWrite(stamp);
                unit.endSanitize(this, completed);
            }
            if (failure != null) {
                LOG.warn("{} LUN {}: SANITIZE failed, the unit is in sanitize failure mode: {}",
                        unit.targetName(), unit.lun(), failure.toString());
            } else {
                LOG.info("{} LUN {}: SANITIZE {} completed in {} ms", unit.targetName(), unit.lun(),
                        serviceAction == Opcodes.SA_SANITIZE_OVERWRITE ? "OVERWRITE" : "BLOCK ERASE",
                        (System.nanoTime() - started) / 1_000_000);
            }
        }

        private void overwrite() throws IOException {
            int bs = unit.blockSize();
            long size = unit.blockCount() << unit.blockShift();
            ByteBuffer chunk = ByteBuffer.allocate(Math.max(bs, CommandContext.VERIFY_CHUNK / bs * bs));
            for (int pass = 0; pass < passes; pass++) {
                boolean inverted = invert && (pass & 1) == 1;
                for (int i = 0; i < chunk.capacity(); i++) {
                    int b = pattern[(i % bs) % pattern.length];
                    chunk.put(i, (byte) (inverted ? ~b : b));
                }
                long done = 0;
                while (done < size) {
                    int n = (int) Math.min(chunk.capacity(), size - done);
                    chunk.clear().limit(n);
                    unit.store().write(done, chunk, false);
                    done += n;
                    progress = (int) (((pass * (double) size + done) / ((double) passes * size)) * (PROGRESS_ONE - 1));
                }
            }
        }

        private void erase() throws IOException {
            long size = unit.blockCount() << unit.blockShift();
            long done = 0;
            while (done < size) {
                long n = Math.min(ERASE_CHUNK, size - done);
                unit.store().deallocate(done, n);
                done += n;
                progress = (int) ((double) done / size * (PROGRESS_ONE - 1));
            }
        }
    }

    /** SANITIZE OVERWRITE (SBC-4). */
    static SenseReason overwrite(CommandContext c) {
        SenseReason r = checkCdb(c);
        if (r != SenseReason.NONE) {
            return r;
        }
        int bs = c.unit.blockSize();
        int length = Cdb.u16(c.cdb, PARAMETER_LIST_LENGTH_OFFSET);
        c.wanted = length;
        if (length <= OVERWRITE_HEADER || length > bs + OVERWRITE_HEADER) {
            return c.invalidField(PARAMETER_LIST_LENGTH_OFFSET);
        }
        SenseReason protection = c.unit.writeProtection();
        if (protection != SenseReason.NONE) {
            return protection;
        }
        if (c.outAvailable < length) {
            return SenseReason.PARAMETER_LIST_LENGTH_ERROR;
        }
        int byte0 = c.outU8(0);
        int passes = byte0 & OVERWRITE_COUNT_MASK;
        int patternLength = c.outU16(2);
        if ((byte0 & TEST_MASK) != 0 || passes == 0 || c.outU8(1) != 0 || patternLength == 0 || patternLength > bs) {
            return SenseReason.INVALID_FIELD_IN_PARAMETER_LIST;
        }
        if (patternLength + OVERWRITE_HEADER != length) {
            return SenseReason.PARAMETER_LIST_LENGTH_ERROR;
        }
        byte[] pattern = new byte[patternLength];
        for (int i = 0; i < patternLength; i++) {
            pattern[i] = (byte) c.outU8(OVERWRITE_HEADER + i);
        }
        return start(c, new Job(c.unit, Opcodes.SA_SANITIZE_OVERWRITE, ause(c), pattern, passes,
                (byte0 & INVERT) != 0));
    }

    /** SANITIZE BLOCK ERASE (SBC-4): no parameter list. */
    static SenseReason blockErase(CommandContext c) {
        SenseReason r = checkCdb(c);
        if (r != SenseReason.NONE) {
            return r;
        }
        if (Cdb.u16(c.cdb, PARAMETER_LIST_LENGTH_OFFSET) != 0) {
            return c.invalidField(PARAMETER_LIST_LENGTH_OFFSET);
        }
        SenseReason protection = c.unit.writeProtection();
        if (protection != SenseReason.NONE) {
            return protection;
        }
        return start(c, new Job(c.unit, Opcodes.SA_SANITIZE_BLOCK_ERASE, ause(c), null, 1, false));
    }

    /**
     * SANITIZE EXIT FAILURE MODE (SBC-4): ends the failure mode of a sanitize that failed
     * with AUSE = 1; after one that failed with AUSE = 0 only a successful SANITIZE ends it, so
     * the request is INVALID FIELD IN CDB. With no failure there is nothing to leave: GOOD.
     */
    static SenseReason exitFailureMode(CommandContext c) {
        SenseReason r = checkCdb(c);
        if (r != SenseReason.NONE) {
            return r;
        }
        if (Cdb.u16(c.cdb, PARAMETER_LIST_LENGTH_OFFSET) != 0) {
            return c.invalidField(PARAMETER_LIST_LENGTH_OFFSET);
        }
        return c.unit.exitSanitizeFailure() ? SenseReason.NONE : c.invalidField(1, Opcodes.SERVICE_ACTION_MSB);
    }

    /** Byte 1 bit 6 and bytes 2..6 are reserved. */
    private static SenseReason checkCdb(CommandContext c) {
        if ((Cdb.u8(c.cdb, 1) & RESERVED_BIT) != 0) {
            return c.invalidField(1, 6);
        }
        for (int i = 2; i < PARAMETER_LIST_LENGTH_OFFSET; i++) {
            if (c.cdb[i] != 0) {
                return c.invalidField(i);
            }
        }
        return SenseReason.NONE;
    }

    private static boolean ause(CommandContext c) {
        return (Cdb.u8(c.cdb, 1) & AUSE) != 0;
    }

    /**
     * Runs {@code job} on a thread of its own. With IMMED the command is answered now (GOOD);
     * without, it is answered when the operation ends, while the delivering thread goes on with
     * other commands (which see SANITIZE IN PROGRESS).
     */
    private static SenseReason start(CommandContext c, Job job) {
        LogicalUnit u = c.unit;
        if (!u.beginSanitize(job)) {
            return SenseReason.SANITIZE_IN_PROGRESS;
        }
        if (!u.acquire()) {   // held by the operation, so removal waits for it
            u.endSanitize(job, false);
            return SenseReason.LOGICAL_UNIT_NOT_SUPPORTED;
        }
        boolean immed = (Cdb.u8(c.cdb, 1) & IMMED) != 0;
        TaskRouter.Pending answer = immed ? null : TaskRouter.Pending.answerLater(c);
        Thread t = new Thread(() -> {
            boolean ended = false;
            try {
                job.run();
                ended = true;
            } finally {
                u.release();
                if (answer != null) {
                    // A job that threw did not complete: never GOOD (the throwable goes on to the
                    // thread's uncaught-exception policy).
                    answer.complete(ended && job.failure == null ? SenseReason.NONE : SenseReason.SANITIZE_COMMAND_FAILED);
                }
            }
        }, "jtgt-sanitize-" + u.targetName() + "-" + u.lun());
        t.setDaemon(true);
        t.start();
        return answer != null ? SenseReason.ANSWERED_LATER : SenseReason.NONE;
    }
}
