package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusReqEvent;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The split shape's daemon keeps MODE SELECT values and pending unit attentions for the next
 * daemon process ({@link KeptState}): two daemon instances over one directory, the second started
 * warm (a front runs: a daemon restart) or cold (as after a power loss).
 */
class KeptStateTest {
    static final long OTHER = 8;
    static final long THIRD = 9;
    static final String FIRST_PORT = Harness.INITIATOR + ",i,0x23d000000001";
    static final String OTHER_PORT = "iqn.2026-11.org.jtgt:second,i,0x23d000000002";
    static final String THIRD_PORT = "iqn.2026-11.org.jtgt:third,i,0x23d000000003";
    static final LunOptions THIN = new LunOptions(false, false, true, null, 0, 50);

    private Path dir;

    @BeforeEach
    void cleanDirectory(TestInfo info) throws IOException {
        dir = Path.of("target", "kept-state-tests", info.getTestMethod().orElseThrow().getName());
        if (Files.exists(dir)) {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(dir);
    }

    /**
     * A daemon process of the split shape over {@link #dir}, started while a front runs
     * ({@code warm}) or not, with a thin LUN 0 and the nexuses the front gives it again (same
     * names, same ids, same target port).
     */
    private Harness daemonProcess(boolean warm, ThinStore store, long... others) {
        return daemonProcess(warm, store, 1, others);
    }

    /**
     * With {@code luns} LUNs (0 thin on {@code store}, the others in memory), all added before
     * any nexus, as the split daemon has every unit before the front gives it the nexuses.
     */
    private Harness daemonProcess(boolean warm, ThinStore store, int luns, long... others) {
        TargetDaemon d = new TargetDaemon();
        d.stateDirectory(dir);
        d.keptStateDirectory(dir, warm);
        Harness h = new Harness(d);
        d.createTarget(Harness.TARGET);
        h.store = store;
        d.addLun(Harness.TARGET, 0, store, Harness.BLOCK, THIN);
        for (int lun = 1; lun < luns; lun++) {
            d.addLun(Harness.TARGET, lun, new MemoryStore(Harness.SIZE), Harness.BLOCK, LunOptions.DEFAULT);
        }
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(FIRST_PORT, Harness.TARGET, Harness.NEXUS));
        for (long n : others) {
            assertEquals(ItNexusRspEvent.RESULT_OK, h.login(n == OTHER ? OTHER_PORT : THIRD_PORT, Harness.TARGET, n));
        }
        return h;
    }

    private static Harness.Result tur(Harness h, long nexus, int lun) {
        return h.command(nexus, lun, Cdbs.testUnitReady(), DataDirection.NONE, 0, null);
    }

    private static void drain(Harness h, long nexus) {
        for (int i = 0; i < 40; i++) {
            if (tur(h, nexus, 0).status() == 0) {
                return;
            }
        }
        throw new AssertionError("unit attentions do not end");
    }

    /** MODE SENSE(10), current values, all pages and subpages, with the block descriptor. */
    private static byte[] allPages(Harness h) {
        Harness.Result r = h.read(0, Cdbs.modeSense10(0, 0, 0x3F, 0xFF, 1024), 1024);
        r.assertGood();
        return r.data();
    }

    private static byte[] page(Harness h, int code, int subpage, int length) {
        Harness.Result r = h.read(0, Cdbs.modeSense10(0x08, 0, code, subpage, 255), 255);
        r.assertGood();
        return Arrays.copyOfRange(r.data(), 8, 8 + length);
    }

    /** MODE SELECT(10) of {@code pages} (PF = 1, no block descriptor) through {@code nexus}. */
    private static Harness.Result select(Harness h, long nexus, byte[]... pages) {
        int n = 8;
        for (byte[] p : pages) {
            n += p.length;
        }
        byte[] list = new byte[n];
        int at = 8;
        for (byte[] p : pages) {
            p[0] &= 0x7F;   // PS is reserved in MODE SELECT
            System.arraycopy(p, 0, list, at, p.length);
            at += p.length;
        }
        return h.command(nexus, 0, ModeSelectTest.modeSelect10(0x10, n), DataDirection.WRITE, n, list);
    }

    private static Harness.Result selectDSense(Harness h, long nexus, boolean on) {
        byte[] control = page(h, 0x0A, 0, 12);
        control[2] = (byte) (on ? control[2] | 0x04 : control[2] & ~0x04);
        return select(h, nexus, control);
    }

    /** A READ past the last block: CHECK CONDITION, ILLEGAL REQUEST, LBA OUT OF RANGE; returns the sense bytes. */
    private static byte[] failingRead(Harness h, long nexus) {
        Harness.Result r = h.command(nexus, 0, Cdbs.rw10(false, Harness.SIZE / Harness.BLOCK, 1, 0), DataDirection.READ,
                512, null);
        r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        return r.sense();
    }

    private Path keptDir() {
        return dir.resolve(KeptState.DIRECTORY);
    }

    private Path modeFile() {
        return keptDir().resolve("iqn.2026-11.org.jtgt:test-0.mode");
    }

    private Path attentionsFile(String initiatorPort) {
        return new KeptState(dir).attentionsFile(Harness.TARGET, 2, initiatorPort);
    }

    private long keptFiles() throws IOException {
        if (!Files.exists(keptDir())) {
            return 0;
        }
        try (Stream<Path> s = Files.list(keptDir())) {
            return s.count();
        }
    }

    @Test
    void descriptorSenseSurvivesADaemonRestart() throws IOException {
        Harness h = daemonProcess(false, new ThinStore(Harness.SIZE));
        assertEquals(0x70, failingRead(h, Harness.NEXUS)[0] & 0x7F, "fixed format by default");
        selectDSense(h, Harness.NEXUS, true).assertGood();
        assertEquals(0x72, failingRead(h, Harness.NEXUS)[0] & 0x7F, "descriptor format once D_SENSE is set");
        assertTrue(Files.readString(modeFile()).contains("d_sense 1"), Files.readString(modeFile()));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(modeFile())));

        Harness next = daemonProcess(true, new ThinStore(Harness.SIZE));
        assertEquals(0x72, failingRead(next, Harness.NEXUS)[0] & 0x7F, "the next daemon process answers in descriptor format");
        assertEquals(0x04, page(next, 0x0A, 0, 12)[2] & 0x04, "MODE SENSE: D_SENSE = 1");
        assertEquals(0, tur(next, Harness.NEXUS, 0).status(), "no unit attention: the restart is not a power on");

        selectDSense(next, Harness.NEXUS, false).assertGood();
        assertEquals(0x70, failingRead(daemonProcess(true, new ThinStore(Harness.SIZE)), Harness.NEXUS)[0] & 0x7F,
                "cleared again, and that is kept too");
    }

    @Test
    void everyChangeableModeParameterAndWhatFollowsFromWceSurvive() {
        ThinStore store = new ThinStore(Harness.SIZE);
        Harness h = daemonProcess(false, store);
        byte[] defaults = allPages(h);
        byte[] caching = page(h, 0x08, 0, 20);
        caching[2] &= ~0x04;                          // WCE = 0
        byte[] control = page(h, 0x0A, 0, 12);
        control[2] |= 0x04;                           // D_SENSE = 1
        control[4] |= 0x08;                           // SWP = 1
        byte[] lbp = page(h, 0x1C, 0x02, 24);
        lbp[16] &= ~0x80;                             // threshold disabled ...
        lbp[20] = 0;
        lbp[21] = 0;
        lbp[22] = 0;
        lbp[23] = 5;                                  // ... at 5 sets
        select(h, Harness.NEXUS, caching, control, lbp).assertGood();
        byte[] changed = allPages(h);
        assertFalse(Arrays.equals(defaults, changed));

        ThinStore sameStore = new ThinStore(Harness.SIZE);
        Harness next = daemonProcess(true, sameStore);
        assertArrayEquals(changed, allPages(next), "MODE SENSE answers as the previous daemon process did");
        assertEquals(0x80, next.read(0, Cdbs.modeSense6(0x08, 0, 0x0A, 0, 255), 255).u8(2) & 0x80, "WP: SWP holds");
        next.command(Harness.NEXUS, 0, Cdbs.rw10(true, 0, 1, 0), DataDirection.WRITE, 512, new byte[512])
                .assertSense(SenseKey.DATA_PROTECT, 0x27, 0x02);

        // SWP off again, WCE = 0 still: a WRITE without FUA goes through to the store with FUA
        control = page(next, 0x0A, 0, 12);
        control[4] &= ~0x08;
        select(next, Harness.NEXUS, control).assertGood();
        Harness third = daemonProcess(true, sameStore);
        int fua = sameStore.fuaWrites;
        third.command(Harness.NEXUS, 0, Cdbs.rw10(true, 0, 1, 0), DataDirection.WRITE, 512, new byte[512]).assertGood();
        assertEquals(fua + 1, sameStore.fuaWrites, "WCE = 0 kept: the write is stable before GOOD");
        assertEquals(0, page(third, 0x08, 0, 20)[2] & 0x04);

        Harness cold = daemonProcess(false, new ThinStore(Harness.SIZE));
        assertArrayEquals(defaults, allPages(cold), "a cold start has the defaults");
    }

    @Test
    void pendingUnitAttentionsComeBackInOrderAndOnlyUntilReported() throws IOException {
        Harness h = daemonProcess(false, new ThinStore(Harness.SIZE), OTHER, THIRD);
        drain(h, Harness.NEXUS);
        drain(h, OTHER);
        drain(h, THIRD);
        assertEquals(0, keptFiles());
        selectDSense(h, Harness.NEXUS, true).assertGood();               // 2A/01 for OTHER and THIRD
        h.daemon.addLun(Harness.TARGET, 1, new MemoryStore(Harness.SIZE), Harness.BLOCK, LunOptions.DEFAULT);  // 3F/0E
        // THIRD learns of the mode change before the daemon dies; OTHER learns nothing yet
        tur(h, THIRD, 0).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x01);
        assertTrue(Files.exists(attentionsFile(OTHER_PORT)));
        String text = Files.readString(attentionsFile(OTHER_PORT), StandardCharsets.UTF_8);
        assertTrue(text.contains("lun 0 2A/01 3F/0E"), text);
        text = Files.readString(attentionsFile(FIRST_PORT), StandardCharsets.UTF_8);
        assertTrue(text.contains("lun 0 3F/0E\nlun 1 3F/0E"), "no 2A/01 for the nexus that changed them: " + text);

        // the front gives the new daemon process the same nexuses; its configuration the same LUNs
        Harness next = daemonProcess(true, new ThinStore(Harness.SIZE), 2, OTHER, THIRD);
        tur(next, Harness.NEXUS, 1).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);   // and no POWER ON: the target lived on
        tur(next, Harness.NEXUS, 0).assertGood();
        Harness.Result first = tur(next, OTHER, 0);
        first.assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x01);
        assertEquals(0x72, first.sense()[0] & 0x7F, "in descriptor format: D_SENSE came back too");
        tur(next, OTHER, 0).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);
        tur(next, OTHER, 0).assertGood();
        tur(next, OTHER, 1).assertGood();   // REPORTED LUNS DATA HAS CHANGED clears on every LUN once reported
        tur(next, THIRD, 1).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);
        tur(next, THIRD, 0).assertGood();   // MODE PARAMETERS CHANGED was reported before the restart
        assertFalse(Files.exists(attentionsFile(OTHER_PORT)), "reported: nothing left to keep");
        assertFalse(Files.exists(attentionsFile(THIRD_PORT)));

        // a third daemon process: nothing is reported twice
        Harness again = daemonProcess(true, new ThinStore(Harness.SIZE), 2, OTHER, THIRD);
        for (long n : new long[] {Harness.NEXUS, OTHER, THIRD}) {
            tur(again, n, 0).assertGood();
            tur(again, n, 1).assertGood();
        }
        assertEquals(1, keptFiles(), "only the unit's mode parameters");
    }

    @Test
    void aUnitAttentionReportedByADaemonKilledBeforeTheFrontHadTheAnswerIsReportedAgain() throws IOException {
        Harness h = daemonProcess(false, new ThinStore(Harness.SIZE), OTHER);
        drain(h, OTHER);
        selectDSense(h, Harness.NEXUS, true).assertGood();   // 2A/01 for OTHER
        h.autoDone = false;
        tur(h, OTHER, 0).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x01);
        String text = Files.readString(attentionsFile(OTHER_PORT), StandardCharsets.UTF_8);
        assertTrue(text.contains("lun 0 2A/01"), "answered, but no KEVENT_CMD_DONE yet: still written down: " + text);
        tur(h, OTHER, 0).assertGood();   // reported once by this daemon process

        // killed here; the front gives the next daemon process the nexus and, from its journal, the command
        Harness next = daemonProcess(true, new ThinStore(Harness.SIZE), OTHER);
        tur(next, OTHER, 0).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x01);
        tur(next, OTHER, 0).assertGood();
        assertFalse(Files.exists(attentionsFile(OTHER_PORT)), "done: nothing left to keep");
    }

    @Test
    void aReportedUnitAttentionIsLetGoWithItsCommandsDone() throws IOException {
        Harness h = daemonProcess(false, new ThinStore(Harness.SIZE), OTHER);
        drain(h, OTHER);
        selectDSense(h, Harness.NEXUS, true).assertGood();
        h.autoDone = false;
        Harness.Result ua = tur(h, OTHER, 0);
        ua.assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x01);
        assertTrue(Files.exists(attentionsFile(OTHER_PORT)));
        h.done(ua.cid());
        assertFalse(Files.exists(attentionsFile(OTHER_PORT)), "the front had the answer");

        // REQUEST SENSE reports one as its parameter data: the same until its KEVENT_CMD_DONE
        selectDSense(h, Harness.NEXUS, false).assertGood();
        Harness.Result sense = h.command(OTHER, 0, Cdbs.requestSense(252), DataDirection.READ, 252, null);
        sense.assertGood();
        assertEquals(0x2A, sense.data()[12] & 0xFF, "MODE PARAMETERS CHANGED as its sense data");
        assertTrue(Files.readString(attentionsFile(OTHER_PORT), StandardCharsets.UTF_8).contains("lun 0 2A/01"));
        h.done(sense.cid());
        assertFalse(Files.exists(attentionsFile(OTHER_PORT)));
    }

    private static final byte[] RESERVE6 = {0x16, 0, 0, 0, 0, 0};
    private static final byte[] RELEASE6 = {0x17, 0, 0, 0, 0, 0};
    private static final int RESERVATION_CONFLICT = 0x18;

    private static int read(Harness h, long nexus) {
        return h.command(nexus, 0, Cdbs.rw10(false, 0, 1, 0), DataDirection.READ, 512, null).status();
    }

    /** A warm daemon process given OTHER's nexus before the first one's (the front's order may be any). */
    private Harness daemonGivenOtherFirst() {
        TargetDaemon d = new TargetDaemon();
        d.stateDirectory(dir);
        d.keptStateDirectory(dir, true);
        Harness h = new Harness(d);
        d.createTarget(Harness.TARGET);
        h.store = new ThinStore(Harness.SIZE);
        d.addLun(Harness.TARGET, 0, h.store, Harness.BLOCK, THIN);
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(OTHER_PORT, Harness.TARGET, OTHER));
        return h;
    }

    @Test
    void anSpc2ReservationPassesToTheNextDaemonProcessWithItsHolder() throws IOException {
        Harness h = daemonProcess(false, new ThinStore(Harness.SIZE), OTHER);
        drain(h, Harness.NEXUS);
        drain(h, OTHER);
        h.none(0, RESERVE6).assertGood();
        assertEquals(RESERVATION_CONFLICT, read(h, OTHER));
        String text = Files.readString(modeFile(), StandardCharsets.UTF_8);
        assertTrue(text.contains("\nreserved ") && text.contains(FIRST_PORT + "\n"), text);

        // killed; the front gives the next daemon process OTHER's nexus first, then the holder's
        Harness next = daemonGivenOtherFirst();
        assertEquals(RESERVATION_CONFLICT, read(next, OTHER), "reserved while its holder is not given yet");
        assertEquals(RESERVATION_CONFLICT, next.command(OTHER, 0, RESERVE6, DataDirection.NONE, 0, null).status());
        assertEquals(ItNexusRspEvent.RESULT_OK, next.login(FIRST_PORT, Harness.TARGET, Harness.NEXUS));
        assertEquals(0, read(next, Harness.NEXUS), "the holder passes");
        assertEquals(RESERVATION_CONFLICT, read(next, OTHER));
        next.none(0, RELEASE6).assertGood();
        assertEquals(0, read(next, OTHER));
        assertFalse(Files.readString(modeFile(), StandardCharsets.UTF_8).contains("reserved"));

        Harness third = daemonGivenOtherFirst();
        assertEquals(0, read(third, OTHER), "released before the restart: not reserved after it");
    }

    @Test
    void aKeptReservationEndsWithItsHoldersLogoutOrAResetButNotWithTheTransportUnderIt() throws IOException {
        Harness h = daemonProcess(false, new ThinStore(Harness.SIZE), OTHER);
        drain(h, Harness.NEXUS);
        drain(h, OTHER);
        h.none(0, RESERVE6).assertGood();
        // a planned stop: the transport closes its endpoint, then ends the nexuses the front gave it
        h.endpoint.close();
        ItNexusReqEvent.write(h.event, 0, Harness.HOST, Harness.NEXUS, ItNexusReqEvent.OP_DESTROY, 0, 0, 0);
        h.deliver(ItNexusReqEvent.LENGTH);
        assertTrue(Files.readString(modeFile(), StandardCharsets.UTF_8).contains("reserved"), "the holder lives on in the front");

        Harness next = daemonProcess(true, new ThinStore(Harness.SIZE), OTHER);
        assertEquals(RESERVATION_CONFLICT, read(next, OTHER));
        assertEquals(ItNexusRspEvent.RESULT_OK, next.logout(Harness.NEXUS));   // the holder logs out: I_T nexus loss
        assertEquals(0, read(next, OTHER));
        assertFalse(Files.readString(modeFile(), StandardCharsets.UTF_8).contains("reserved"));

        // a LOGICAL UNIT RESET ends one whose holder is not given yet
        next.command(OTHER, 0, RESERVE6, DataDirection.NONE, 0, null).assertGood();
        Harness after = daemonProcess(true, new ThinStore(Harness.SIZE));   // only the first nexus: OTHER's is awaited
        assertEquals(RESERVATION_CONFLICT, read(after, Harness.NEXUS));
        assertEquals(TmfResponse.FUNCTION_COMPLETE, after.tmf(TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0));
        drain(after, Harness.NEXUS);
        assertEquals(0, read(after, Harness.NEXUS));
        assertFalse(Files.readString(modeFile(), StandardCharsets.UTF_8).contains("reserved"));
    }

    @Test
    void aNexusThatEndsTakesItsKeptUnitAttentionsWithIt() {
        Harness h = daemonProcess(false, new ThinStore(Harness.SIZE), OTHER);
        drain(h, OTHER);
        selectDSense(h, Harness.NEXUS, true).assertGood();
        assertTrue(Files.exists(attentionsFile(OTHER_PORT)));
        assertEquals(ItNexusRspEvent.RESULT_OK, h.logout(OTHER));
        assertFalse(Files.exists(attentionsFile(OTHER_PORT)), "a logout ends the nexus and its conditions");
        Harness next = daemonProcess(true, new ThinStore(Harness.SIZE), OTHER);
        tur(next, OTHER, 0).assertGood();
    }

    @Test
    void aNexusEndedByTheTransportEndingKeepsItsFileForTheNextDaemonProcess() {
        Harness h = daemonProcess(false, new ThinStore(Harness.SIZE), OTHER);
        drain(h, OTHER);
        selectDSense(h, Harness.NEXUS, true).assertGood();
        // a planned stop: the transport closes its endpoint, then ends the nexuses the front gave it
        h.endpoint.close();
        ItNexusReqEvent.write(h.event, 0, Harness.HOST, OTHER, ItNexusReqEvent.OP_DESTROY, 0, 0, 0);
        h.deliver(ItNexusReqEvent.LENGTH);
        assertTrue(Files.exists(attentionsFile(OTHER_PORT)), "the nexus lives on in the front");
        Harness next = daemonProcess(true, new ThinStore(Harness.SIZE), OTHER);
        tur(next, OTHER, 0).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x01);
        tur(next, OTHER, 0).assertGood();
    }

    @Test
    void aColdStartDropsWhatWasKept() throws IOException {
        Harness h = daemonProcess(false, new ThinStore(Harness.SIZE), OTHER);
        drain(h, OTHER);
        selectDSense(h, Harness.NEXUS, true).assertGood();
        assertEquals(2, keptFiles(), "the unit's mode parameters and OTHER's unit attention");

        Harness cold = daemonProcess(false, new ThinStore(Harness.SIZE), OTHER);   // no front ran: as after a power loss
        assertEquals(0x70, failingRead(cold, Harness.NEXUS)[0] & 0x7F, "D_SENSE back to its default");
        tur(cold, OTHER, 0).assertGood();
        assertEquals(0, keptFiles());
    }

    @Test
    void brokenOrForeignFilesAreRefusedWithTheirLineAndTheDefaultsTaken() throws IOException {
        Harness h = daemonProcess(false, new ThinStore(Harness.SIZE), OTHER);
        drain(h, OTHER);
        selectDSense(h, Harness.NEXUS, true).assertGood();
        Path mode = modeFile();
        Path ua = attentionsFile(OTHER_PORT);
        String modeText = Files.readString(mode);
        String uaText = Files.readString(ua);

        Files.writeString(mode, modeText.replace("d_sense 1", "d_sense 7"));
        Files.writeString(ua, uaText.replace("2A/01", "2A/7F"));
        KeptState.BrokenFileException e = assertThrows(KeptState.BrokenFileException.class,
                () -> KeptState.loadMode(mode, Harness.TARGET, 0));
        assertTrue(e.getMessage().startsWith(mode + ":4: expected 0 or 1"), e.getMessage());
        e = assertThrows(KeptState.BrokenFileException.class,
                () -> KeptState.loadAttentions(ua, Harness.TARGET, 2, OTHER_PORT));
        assertTrue(e.getMessage().startsWith(ua + ":3: '2A/7F' is not a unit attention"), e.getMessage());
        Harness next = daemonProcess(true, new ThinStore(Harness.SIZE), OTHER);
        assertEquals(0x70, failingRead(next, Harness.NEXUS)[0] & 0x7F, "defaults");
        tur(next, OTHER, 0).assertGood();

        // another unit's and another nexus's files under these names: refused, not taken
        Files.writeString(mode, modeText.replace("unit " + Harness.TARGET + " 0", "unit " + Harness.TARGET + " 1"));
        Files.writeString(ua, uaText.replace(OTHER_PORT, THIRD_PORT));
        assertTrue(assertThrows(KeptState.BrokenFileException.class, () -> KeptState.loadMode(mode, Harness.TARGET, 0))
                .getMessage().contains("not of " + Harness.TARGET + " LUN 0"));
        assertTrue(assertThrows(KeptState.BrokenFileException.class,
                () -> KeptState.loadAttentions(ua, Harness.TARGET, 2, OTHER_PORT)).getMessage().contains("another I_T nexus"));
        next = daemonProcess(true, new ThinStore(Harness.SIZE), OTHER);
        assertEquals(0x70, failingRead(next, Harness.NEXUS)[0] & 0x7F);
        tur(next, OTHER, 0).assertGood();

        // binary garbage, and a file beyond the bound
        byte[] garbage = new byte[4096];
        new java.util.Random(13).nextBytes(garbage);
        Files.write(mode, garbage);
        Files.write(ua, new byte[KeptState.MAX_FILE_BYTES + 1]);
        assertThrows(KeptState.BrokenFileException.class, () -> KeptState.loadMode(mode, Harness.TARGET, 0));
        assertTrue(assertThrows(KeptState.BrokenFileException.class,
                () -> KeptState.loadAttentions(ua, Harness.TARGET, 2, OTHER_PORT)).getMessage().contains("more than"));
        next = daemonProcess(true, new ThinStore(Harness.SIZE), OTHER);
        assertEquals(0x70, failingRead(next, Harness.NEXUS)[0] & 0x7F);
        tur(next, OTHER, 0).assertGood();
    }

    @Test
    void everyKindOfBrokenLineIsNamed() throws IOException {
        Path f = keptDir().resolve("x.mode");
        Files.createDirectories(keptDir());
        String unit = "unit " + Harness.TARGET + " 0\n";
        for (String[] c : List.of(
                new String[] {"swp 0\nd_sense 0\nwce 1\n", "no 'unit TARGET LUN' line"},
                new String[] {unit + "swp 0\nwce 1\n", "all required"},
                new String[] {unit + "swp 0\nswp 1\nd_sense 0\nwce 1\n", "a second line"},
                new String[] {unit + "swp 0\nd_sense 0\nwce 1\nthreshold 1 4294967296\n", "not a number"},
                new String[] {unit + "swp 0\nd_sense 0\nwce 1\nqerr 1\n", "unknown keyword 'qerr'"})) {
            Files.writeString(f, c[0]);
            KeptState.BrokenFileException e = assertThrows(KeptState.BrokenFileException.class,
                    () -> KeptState.loadMode(f, Harness.TARGET, 0), c[0]);
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
        Path u = keptDir().resolve("x.ua");
        String nexus = "nexus " + Harness.TARGET + " 2 " + OTHER_PORT + "\n";
        StringBuilder many = new StringBuilder(nexus + "lun 0");
        for (SenseReason r : SenseReason.values()) {
            if (r.isUnitAttention()) {
                many.append(' ').append(KeptState.code(r));
            }
        }
        for (int i = 0; i < UnitAttentions.CAPACITY; i++) {
            many.append(" 2A/01");
        }
        for (String[] c : List.of(
                new String[] {"lun 0 2A/01\n", "no 'nexus' line"},
                new String[] {nexus + "lun 0\n", "expected 'lun LUN ASC/ASCQ...'"},
                new String[] {nexus + "lun 0 2A/01\nlun 0 2A/09\n", "LUN 0 twice"},
                new String[] {nexus + "lun 0 2A/01 2A/01\n", "twice in one queue"},
                new String[] {nexus + "lun 0 24/00\n", "not a unit attention"},
                new String[] {nexus + "lun 99999 2A/01\n", "not a number"},
                new String[] {many + "\n", "more than " + UnitAttentions.CAPACITY})) {
            Files.writeString(u, c[0]);
            KeptState.BrokenFileException e = assertThrows(KeptState.BrokenFileException.class,
                    () -> KeptState.loadAttentions(u, Harness.TARGET, 2, OTHER_PORT), c[0]);
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
    }

    @Test
    void everyUnitAttentionReadsBackAsItself() {
        int n = 0;
        for (SenseReason r : SenseReason.values()) {
            if (r.isUnitAttention()) {
                assertEquals(r, KeptState.unitAttention(KeptState.code(r)), KeptState.code(r));
                n++;
            }
        }
        assertTrue(n >= 13, "POWER ON ... INQUIRY DATA HAS CHANGED: " + n);
        assertEquals(null, KeptState.unitAttention(KeptState.code(SenseReason.INVALID_FIELD_IN_CDB)), "not a unit attention");
    }

    @Test
    void aRemovedUnitDoesNotComeBackWithItsOldModeParameters() {
        Harness h = daemonProcess(false, new ThinStore(Harness.SIZE));
        h.daemon.addLun(Harness.TARGET, 1, new MemoryStore(Harness.SIZE), Harness.BLOCK, LunOptions.DEFAULT);
        tur(h, Harness.NEXUS, 1).assertSense(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E);
        byte[] control = h.read(1, Cdbs.modeSense6(0x08, 0, 0x0A, 0, 255), 255).data();
        byte[] page = Arrays.copyOfRange(control, 4, 16);
        page[2] |= 0x04;
        h.command(Harness.NEXUS, 1, ModeSelectTest.modeSelect6(0x10, 16), DataDirection.WRITE, 16,
                concat(new byte[4], page)).assertGood();
        assertTrue(Files.exists(keptDir().resolve("iqn.2026-11.org.jtgt:test-1.mode")));
        h.daemon.removeLun(Harness.TARGET, 1);
        assertFalse(Files.exists(keptDir().resolve("iqn.2026-11.org.jtgt:test-1.mode")));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
