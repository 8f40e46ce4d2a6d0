package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.scsi.SenseData;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Random CDBs, for the opcodes the daemon implements and for any other, with random data
 * directions, transfer lengths and Data-Out: every one is answered once with a SCSI status a
 * device server may return, every CHECK CONDITION carries sense data that parses with a sense
 * key other than HARDWARE ERROR (a memory store has no hardware to fail: one would mean a
 * handler threw on input it should have refused), no answer carries more Data-In than the
 * initiator asked for, and afterwards the unit next to the fuzzed one holds exactly what was
 * written to it before and the fuzzed one still answers. The seed is fixed, so a failure names a
 * command that can be run again.
 */
@Timeout(120)
class CdbFuzzTest {
    private static final int COMMANDS = 60_000;
    private static final long SEED = 0x6A7467_74L;
    static final Set<Integer> STATUSES = Set.of(0x00, 0x02, 0x04, 0x08, 0x18, 0x28, 0x40);
    /** Opcodes with a handler, drawn more often than the rest so the fuzz reaches past the opcode check. */
    static final int[] KNOWN = {
        0x00, 0x03, 0x04, 0x08, 0x0A, 0x12, 0x15, 0x16, 0x17, 0x1A, 0x1B, 0x1D, 0x1E, 0x25, 0x28, 0x2A, 0x2E, 0x2F,
        0x34, 0x35, 0x37, 0x3B, 0x3C, 0x41, 0x42, 0x48, 0x4D, 0x55, 0x56, 0x57, 0x5A, 0x5E, 0x5F, 0x7F, 0x83, 0x84,
        0x88, 0x89, 0x8A, 0x8E, 0x8F, 0x90, 0x91, 0x93, 0x9C, 0x9E, 0xA0, 0xA3, 0xA4, 0xA8, 0xAA, 0xAE, 0xAF, 0xB7,
    };

    /** Opcodes that move Data-In, and those that take Data-Out: most fuzzed commands get the direction their opcode implies. */
    static final Set<Integer> READING = Set.of(0x03, 0x08, 0x12, 0x1A, 0x25, 0x28, 0x37, 0x3C, 0x4D, 0x5A,
            0x5E, 0x84, 0x88, 0x9E, 0xA0, 0xA3, 0xA8, 0xB7);
    static final Set<Integer> WRITING = Set.of(0x0A, 0x15, 0x1D, 0x2A, 0x2E, 0x2F, 0x3B, 0x41, 0x42, 0x48,
            0x55, 0x5F, 0x7F, 0x83, 0x89, 0x8A, 0x8E, 0x8F, 0x93, 0x9C, 0xA4, 0xAA, 0xAE, 0xAF);

    @Test
    void randomCdbsAreAnsweredPreciselyAndHarmNothingElse() {
        Harness h = Harness.withLun(LunOptions.DEFAULT);
        MemoryStore neighbour = new MemoryStore(Harness.SIZE);
        h.daemon.addLun(Harness.TARGET, 1, neighbour, Harness.BLOCK, LunOptions.DEFAULT);
        byte[] pattern = new byte[64 * Harness.BLOCK];
        new Random(SEED + 1).nextBytes(pattern);
        clearUnitAttentions(h);
        h.command(Harness.NEXUS, 1, Cdbs.rw10(true, 100, 64, 0), DataDirection.WRITE, pattern.length, pattern)
                .assertGood();

        Random random = new Random(SEED);
        Map<String, Integer> outcomes = new TreeMap<>();
        for (int i = 0; i < COMMANDS; i++) {
            byte[] cdb = cdb(random);
            int opcode = cdb[0] & 0xFF;
            DataDirection dir = DataDirection.values()[random.nextInt(3)];
            if (random.nextInt(10) < 7) {
                dir = usualDirection(opcode);
            }
            int expected = dir == DataDirection.NONE ? 0 : transferLength(random);
            byte[] dataOut = null;
            if (dir == DataDirection.WRITE) {
                dataOut = new byte[expected];
                random.nextBytes(dataOut);
            }
            String command = "command " + i + " " + hex(cdb) + " " + dir + " " + expected;
            Harness.Result r;
            try {
                r = h.command(Harness.NEXUS, 0, cdb, dir, expected, dataOut);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(command + ": " + e, e);
            }
            outcomes.merge(checkAnswer(r, expected, command), 1, Integer::sum);
        }

        // The fuzzed unit still answers (it may have been stopped, reserved or sanitized on the way).
        Harness.Result tur = h.command(Harness.NEXUS, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null);
        assertTrue(tur.status() == 0x00 || tur.status() == 0x02 || tur.status() == 0x18, "TEST UNIT READY: " + tur);
        clearUnitAttentions(h);
        Harness.Result back = h.command(Harness.NEXUS, 1, Cdbs.rw10(false, 100, 64, 0), DataDirection.READ,
                pattern.length, null);
        back.assertGood();
        assertArrayEquals(pattern, back.data(), "the neighbour unit is untouched");
        assertTrue(outcomes.getOrDefault("status 0x0", 0) > COMMANDS / 50, "some commands got through: " + outcomes);
        System.out.println("CdbFuzzTest: " + COMMANDS + " commands: " + outcomes);
    }

    /**
     * The checks every fuzzed command's answer passes (shared with {@link DaemonFuzzTargetsTest}):
     * a status a device server may return, sense data that parses with a key other than HARDWARE
     * ERROR on CHECK CONDITION, no more Data-In than asked for.
     *
     * @return the outcome for the tally: the status, or the sense of a CHECK CONDITION
     */
    static String checkAnswer(Harness.Result r, int expected, String command) {
        assertTrue(STATUSES.contains(r.status()), command + ": status 0x" + Integer.toHexString(r.status()));
        assertTrue(r.data().length <= expected, command + ": " + r.data().length + " bytes of Data-In");
        if (r.status() != 0x02) {
            return "status 0x" + Integer.toHexString(r.status());
        }
        SenseData sense = SenseData.parse(r.sense(), r.sense().length);
        assertNotNull(sense, command + ": CHECK CONDITION without sense data that parses");
        assertTrue(sense.key() > 0 && sense.key() <= 0x0E, command + ": " + sense);
        if (sense.key() == SenseKey.HARDWARE_ERROR) {
            fail(command + ": " + sense);
        }
        return sense.toString();
    }

    /** The direction a fuzzed command gets most of the time: the one its opcode implies. */
    static DataDirection usualDirection(int opcode) {
        return READING.contains(opcode) ? DataDirection.READ
                : WRITING.contains(opcode) ? DataDirection.WRITE : DataDirection.NONE;
    }

    /** The CDB length of an opcode's group (SPC-6 4.2.5.1); 0 for the groups without one. */
    static int groupLength(int opcode) {
        return switch (opcode >>> 5) {
            case 0 -> 6;
            case 1, 2 -> 10;
            case 4 -> 16;
            case 5 -> 12;
            default -> 0;
        };
    }

    /** A CDB whose length fits its opcode's group, with random contents biased toward small LBAs and lengths. */
    private static byte[] cdb(Random random) {
        int opcode = random.nextInt(4) == 0 ? random.nextInt(256) : KNOWN[random.nextInt(KNOWN.length)];
        int length = groupLength(opcode);
        if (length == 0) {
            length = 6 + random.nextInt(27);
        }
        byte[] cdb = new byte[length];
        random.nextBytes(cdb);
        cdb[0] = (byte) opcode;
        if (random.nextBoolean()) {
            // Most fields that matter sit in bytes 2..length-2: make them small now and then, so
            // LBAs fall inside the unit and lengths are modest.
            for (int i = 2; i < length - 1; i++) {
                if (random.nextInt(3) != 0) {
                    cdb[i] = (byte) (i >= length - 3 ? random.nextInt(9) : 0);
                }
            }
        }
        if (random.nextInt(4) != 0) {
            cdb[length - 1] = 0;   // CONTROL: NACA and LINK set only sometimes
        }
        return cdb;
    }

    private static int transferLength(Random random) {
        return switch (random.nextInt(5)) {
            case 0 -> 0;
            case 1 -> 8 * (1 + random.nextInt(8));
            case 2 -> Harness.BLOCK;
            case 3 -> Harness.BLOCK * (1 + random.nextInt(8));
            default -> random.nextInt(65_537);
        };
    }

    /** Unit attentions are reported once each; after them TEST UNIT READY answers as the unit stands. */
    static void clearUnitAttentions(Harness h) {
        for (int i = 0; i < 16; i++) {
            Harness.Result r = h.command(Harness.NEXUS, 1, Cdbs.testUnitReady(), DataDirection.NONE, 0, null);
            SenseData sense = SenseData.parse(r.sense(), r.sense().length);
            if (r.status() != 0x02 || sense == null || sense.key() != SenseKey.UNIT_ATTENTION) {
                return;
            }
        }
        assertEquals("no more unit attentions", "still unit attentions after 16 commands");
    }

    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x));
        }
        return s.toString();
    }
}
