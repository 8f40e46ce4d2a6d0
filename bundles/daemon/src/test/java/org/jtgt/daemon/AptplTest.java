package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * APTPL (SPC-4 5.13.5): registrations and the reservation written to the unit's file and found
 * again by a new daemon (a restart) with the same state directory and LUN; broken files reported
 * and ignored.
 */
class AptplTest {
    static final long B = 8;
    static final String B_PORT = "iqn.2026-11.org.jtgt:second,i,0x23d000000002";
    static final long KA = 0xA1L;
    static final long KB = 0xB2L;

    private Path dir;

    @BeforeEach
    void cleanDirectory(TestInfo info) throws IOException {
        dir = Path.of("target", "aptpl-tests", info.getTestMethod().orElseThrow().getName());
        if (Files.exists(dir)) {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(dir);
    }

    private Harness start() {
        TargetDaemon d = new TargetDaemon();
        d.stateDirectory(dir);
        return Harness.withLun(new Harness(d), LunOptions.DEFAULT, new MemoryStore(Harness.SIZE));
    }

    private Path file() {
        return dir.resolve(AptplFile.DIRECTORY).resolve(AptplFile.fileName(Harness.TARGET, 0));
    }

    private static Harness.Result prout(Harness h, long nexus, int sa, int type, long key, long sark, int flags) {
        byte[] list = PersistentReservationTest.basicList(key, sark, flags);
        return h.command(nexus, 0, PersistentReservationTest.proutCdb(sa, 0, type, 24), DataDirection.WRITE, 24, list);
    }

    private static Harness.Result prin(Harness h, int sa) {
        return h.command(Harness.NEXUS, 0, PersistentReservationTest.prinCdb(sa, 256), DataDirection.READ, 256, null);
    }

    @Test
    void registrationsAndReservationComeBackAfterARestart() throws IOException {
        Harness h = start();
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(B_PORT, Harness.TARGET, B));
        Harness.Result caps = prin(h, 0x02);
        assertEquals(0x10 | 0x01, caps.u8(2), "CRH, PTPL_C");
        assertEquals(0x80, caps.u8(3), "TMV, PTPL_A = 0");
        prout(h, Harness.NEXUS, 0x06, 0, 0, KA, 0x01).assertGood();   // APTPL = 1
        prout(h, B, 0x00, 0, 0, KB, 0x01).assertGood();
        prout(h, Harness.NEXUS, 0x01, 5, KA, 0, 0).assertGood();       // WERO
        assertEquals(0x81, prin(h, 0x02).u8(3), "PTPL_A = 1");
        String text = Files.readString(file(), StandardCharsets.UTF_8);
        assertTrue(text.contains("registrant 0x00000000000000a1 2 " + Harness.INITIATOR + ",i,0x23d000000001"), text);
        assertTrue(text.contains("registrant 0x00000000000000b2 2 " + B_PORT), text);
        assertTrue(text.contains("reservation 5 2 " + Harness.INITIATOR + ",i,0x23d000000001"), text);
        assertFalse(Files.exists(file().resolveSibling(file().getFileName() + ".tmp")), "no temporary file left");
        long generation = prin(h, 0x00).u32(0);

        Harness again = start();   // same state directory, same target and LUN
        Harness.Result keys = prin(again, 0x00);
        keys.assertGood();
        assertEquals(generation, keys.u32(0));
        assertEquals(16, keys.u32(4));
        assertEquals(KA, keys.u64(8));
        assertEquals(KB, keys.u64(16));
        Harness.Result res = prin(again, 0x01);
        assertEquals(KA, res.u64(8));
        assertEquals(5, res.u8(8 + 13));
        assertEquals(0x81, prin(again, 0x02).u8(3), "PTPL_A survives too");
        // the holder writes; an initiator that never registered may not
        again.command(Harness.NEXUS, 0, Cdbs.rw10(true, 1, 1, 0), DataDirection.WRITE, 512, new byte[512]).assertGood();
        assertEquals(ItNexusRspEvent.RESULT_OK, again.login("iqn.2026-11.org.jtgt:stranger,i,0x1", Harness.TARGET, 30));
        Harness.Result w = again.command(30, 0, Cdbs.rw10(true, 1, 1, 0), DataDirection.WRITE, 512, new byte[512]);
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, w.status());

        // APTPL = 0 on the next registration change: nothing is kept any more
        prout(again, Harness.NEXUS, 0x00, 0, KA, KA + 1, 0).assertGood();
        assertFalse(Files.exists(file()));
        assertEquals(0, prin(start(), 0x00).u32(4));
    }

    @Test
    void reservationFilesAreOwnerOnlyAlsoAfterARewrite() throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Harness h = start();
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(B_PORT, Harness.TARGET, B));
        prout(h, Harness.NEXUS, 0x06, 0, 0, KA, 0x01).assertGood();   // APTPL = 1
        assertEquals("rwx------", mode(file().getParent()));
        assertEquals("rw-------", mode(file()));

        // a file an older version left readable, and a readable temporary file a crash left
        Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("rw-r--r--"));
        Path tmp = file().resolveSibling(file().getFileName() + ".tmp");
        Files.writeString(tmp, "half written");
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
        prout(h, B, 0x00, 0, 0, KB, 0x01).assertGood();                 // rewritten
        assertTrue(Files.readString(file()).contains(B_PORT));
        assertEquals("rw-------", mode(file()));
        assertFalse(Files.exists(tmp));
        assertEquals("rwxr-xr-x", mode(dir), "the state directory itself is not this class's to change");
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    /** A daemon process of the split shape, started while a front runs ({@code warm}) or not. */
    private Harness startDaemonProcess(boolean warm) {
        TargetDaemon d = new TargetDaemon();
        d.stateDirectory(dir);
        d.keptStateDirectory(dir, warm);
        return Harness.withLun(new Harness(d), LunOptions.DEFAULT, new MemoryStore(Harness.SIZE));
    }

    @Test
    void theSplitShapesNextDaemonProcessTakesOverReservationsWithoutAptpl() {
        Harness h = startDaemonProcess(false);
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(B_PORT, Harness.TARGET, B));
        prout(h, Harness.NEXUS, 0x00, 0, 0, KA, 0).assertGood();        // APTPL = 0
        prout(h, B, 0x00, 0, 0, KB, 0).assertGood();
        prout(h, Harness.NEXUS, 0x01, 1, KA, 0, 0).assertGood();         // WRITE EXCLUSIVE
        assertFalse(Files.exists(file()), "no APTPL file: this is not APTPL state");
        long generation = prin(h, 0x00).u32(0);

        Harness next = startDaemonProcess(true);   // the daemon restarted while the front kept the sessions
        assertEquals(ItNexusRspEvent.RESULT_OK, next.login(B_PORT, Harness.TARGET, B));
        Harness.Result keys = prin(next, 0x00);
        assertEquals(generation, keys.u32(0));
        assertEquals(16, keys.u32(4));
        assertEquals(KA, prin(next, 0x01).u64(8), "the reservation holder's key");
        assertEquals(1, prin(next, 0x01).u8(8 + 13), "WRITE EXCLUSIVE");
        assertEquals(0x80, prin(next, 0x02).u8(3), "PTPL_A stays 0");
        Harness.Result w = next.command(B, 0, Cdbs.rw10(true, 1, 1, 0), DataDirection.WRITE, 512, new byte[512]);
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, w.status(), "enforced at once by the new process");

        Harness cold = startDaemonProcess(false);  // no front: the target starts as from a power loss
        assertEquals(0, prin(cold, 0x00).u32(4), "non-APTPL state is gone after a cold start");
    }

    @Test
    void withoutAptplNothingIsWritten() {
        Harness h = start();
        prout(h, Harness.NEXUS, 0x06, 0, 0, KA, 0).assertGood();
        assertFalse(Files.exists(file()));
        assertEquals(0, prin(start(), 0x00).u32(4));
    }

    @Test
    void brokenFileIsReportedWithLineAndIgnored() throws IOException {
        Files.createDirectories(file().getParent());
        Files.writeString(file(), "# hand-edited\ngeneration 3\nregistrant 0xzz 1 iqn.x,i,0x1\n");
        AptplFile.BrokenFileException e = assertThrows(AptplFile.BrokenFileException.class,
                () -> new AptplFile(dir, Harness.TARGET, 0).load());
        assertEquals(file() + ":3: reservation key '0xzz' is not 0x followed by 1 to 16 hex digits", e.getMessage());

        Harness h = start();   // activation goes on; the unit starts empty
        Harness.Result keys = prin(h, 0x00);
        keys.assertGood();
        assertEquals(0, keys.u32(4));
        assertEquals(0x80, prin(h, 0x02).u8(3), "PTPL_A = 0");
    }

    @Test
    void everyKindOfBrokenLineIsNamed() throws IOException {
        Files.createDirectories(file().getParent());
        String[][] cases = {
            {"registrant 0x1 1 a,i,0x1\nreservation 3 1 b,i,0x2\n", ":2: the reservation holder is not registered"},
            {"registrant 0x1 1 a,i,0x1\nreservation 2\n", ":2: reservation type 2 is not 1, 3, 5, 6, 7 or 8"},
            {"registrant 0x0 1 a,i,0x1\n", ":1: reservation key 0 is never registered"},
            {"registrant 0x1 1 a,i,0x1\nregistrant 0x2 1 A,i,0x1\n", ":2: I_T nexus A,i,0x1 on port 1 is registered twice"},
            {"registrant 0x1 70000 a,i,0x1\n", ":1: relative port 70000 is outside 0..65535"},
            {"holder x\n", ":1: unknown keyword 'holder'"},
            {"generation many\nregistrant 0x1 1 a,i,0x1\n", ":1: a field that must be a decimal number is not: generation many"},
            {"# nothing\n", ":1: no registrant: nothing to restore"},
        };
        for (String[] c : cases) {
            Files.writeString(file(), c[0]);
            AptplFile.BrokenFileException e = assertThrows(AptplFile.BrokenFileException.class,
                    () -> new AptplFile(dir, Harness.TARGET, 0).load());
            assertEquals(file() + c[1], e.getMessage());
        }
    }

    @Test
    void stateThatCannotBeWrittenIsRefused() throws IOException {
        Files.writeString(dir.resolve(AptplFile.DIRECTORY), "a file where the directory should be");
        Harness h = start();
        prout(h, Harness.NEXUS, 0x06, 0, 0, KA, 0x01).assertSense(SenseKey.ILLEGAL_REQUEST, 0x55, 0x04);
        assertEquals(0, prin(h, 0x00).u32(4), "nothing registered");
        prout(h, Harness.NEXUS, 0x06, 0, 0, KA, 0).assertGood();   // without APTPL it works
    }
}
