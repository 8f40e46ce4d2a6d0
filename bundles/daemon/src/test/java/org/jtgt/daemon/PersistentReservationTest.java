package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.scsi.SenseKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * PERSISTENT RESERVE IN/OUT (SPC-4 5.13, 6.15, 6.16) between three I_T nexuses: {@link Harness#NEXUS}
 * ("A"), {@link #B}, {@link #C} and the observer {@link #D}, raw CDBs and parameter lists in, status, sense and parameter
 * data out.
 */
class PersistentReservationTest {
    static final long B = 8;
    static final long C = 9;
    /** Never registers, so never gets a persistent reservation unit attention: it reads the state. */
    static final long D = 10;
    static final String B_PORT = "iqn.2026-11.org.jtgt:second,i,0x23d000000002";
    static final String C_PORT = "naa.21000024ff000001";
    static final long KA = 0xA1L;
    static final long KB = 0xB2L;
    static final long KC = 0xC3L;

    final Harness h = Harness.withLun();

    PersistentReservationTest() {
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(B_PORT, Harness.TARGET, B));
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(C_PORT, Harness.TARGET, C));
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login("iqn.2026-11.org.jtgt:observer,i,0x1", Harness.TARGET, D));
    }

    // ---------------- CDBs and parameter lists ----------------

    static byte[] prinCdb(int sa, int allocation) {
        byte[] c = new byte[10];
        c[0] = 0x5E;
        c[1] = (byte) sa;
        Cdbs.be(c, 7, allocation, 2);
        return c;
    }

    static byte[] proutCdb(int sa, int scope, int type, int listLength) {
        byte[] c = new byte[10];
        c[0] = 0x5F;
        c[1] = (byte) sa;
        c[2] = (byte) (scope << 4 | type);
        Cdbs.be(c, 5, listLength, 4);
        return c;
    }

    static byte[] basicList(long key, long sark, int flags) {
        byte[] p = new byte[24];
        Cdbs.be(p, 0, key, 8);
        Cdbs.be(p, 8, sark, 8);
        p[20] = (byte) flags;
        return p;
    }

    Harness.Result prout(long nexus, int sa, int type, long key, long sark, int flags) {
        byte[] list = basicList(key, sark, flags);
        return h.command(nexus, 0, proutCdb(sa, 0, type, list.length), DataDirection.WRITE, list.length, list);
    }

    Harness.Result prin(long nexus, int sa, int allocation) {
        return h.command(nexus, 0, prinCdb(sa, allocation), DataDirection.READ, allocation, null);
    }

    void register(long nexus, long key) {
        prout(nexus, 0x06, 0, 0, key, 0).assertGood();
    }

    void reserve(long nexus, long key, int type) {
        prout(nexus, 0x01, type, key, 0, 0).assertGood();
    }

    static void assertConflict(Harness.Result r) {
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, r.status(), () -> "RESERVATION CONFLICT expected, got " + r.status());
        assertEquals(0, r.sense().length, "no sense data with RESERVATION CONFLICT");
    }

    long[] keys(long nexus) {
        Harness.Result r = prin(nexus, 0x00, 1024);
        r.assertGood();
        int n = (int) r.u32(4) / 8;
        long[] k = new long[n];
        for (int i = 0; i < n; i++) {
            k[i] = r.u64(8 + i * 8);
        }
        return k;
    }

    long generation() {
        Harness.Result r = prin(D, 0x00, 8);
        r.assertGood();
        return r.u32(0);
    }

    Harness.Result readBlock(long nexus) {
        return h.command(nexus, 0, Cdbs.rw10(false, 1, 1, 0), DataDirection.READ, 512, null);
    }

    Harness.Result writeBlock(long nexus) {
        return h.command(nexus, 0, Cdbs.rw10(true, 1, 1, 0), DataDirection.WRITE, 512, new byte[512]);
    }

    void clearUa(long nexus) {
        for (int i = 0; i < 20 && h.command(nexus, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null).status() != 0; i++) {
            // every unit attention pending is reported and cleared once
        }
    }

    void assertUa(long nexus, int ascq) {
        h.command(nexus, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, ascq);
    }

    void assertNoUa(long nexus) {
        h.command(nexus, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null).assertGood();
    }

    // ---------------- REGISTER, REGISTER AND IGNORE EXISTING KEY, READ KEYS ----------------

    @Test
    void registerChangeAndUnregisterBumpTheGeneration() {
        assertEquals(0, generation());
        prout(Harness.NEXUS, 0x00, 0, 0, KA, 0).assertGood();             // REGISTER, unregistered, RK 0
        assertArrayEquals(new long[] {KA}, keys(D));
        assertEquals(1, generation());
        assertConflict(prout(Harness.NEXUS, 0x00, 0, KA + 1, KA + 5, 0)); // wrong RK
        assertConflict(prout(B, 0x00, 0, KB, KB, 0));                    // unregistered with RK != 0
        prout(Harness.NEXUS, 0x00, 0, KA, KA + 1, 0).assertGood();        // key change
        assertArrayEquals(new long[] {KA + 1}, keys(D));
        prout(Harness.NEXUS, 0x06, 0, 0x999, KA, 0).assertGood();         // RAIEK: RK ignored
        assertArrayEquals(new long[] {KA}, keys(D));
        assertEquals(3, generation());
        prout(B, 0x00, 0, 0, 0, 0).assertGood();                          // unregistered, SARK 0: nothing
        assertEquals(3, generation());
        prout(Harness.NEXUS, 0x00, 0, KA, 0, 0).assertGood();             // unregister
        assertEquals(0, keys(D).length);
        assertEquals(4, generation());
    }

    @Test
    void readKeysTruncatesButReportsTheWholeLength() {
        register(Harness.NEXUS, KA);
        register(B, KB);
        Harness.Result r = prin(C, 0x00, 8);
        r.assertGood();
        assertEquals(8, r.data().length);
        assertEquals(16, r.u32(4), "ADDITIONAL LENGTH does not depend on the allocation length");
    }

    @Test
    void registrantsAreBounded() {
        for (int i = 0; i < PersistentReservations.MAX_REGISTRANTS; i++) {
            long id = 100 + i;
            assertEquals(ItNexusRspEvent.RESULT_OK, h.login("iqn.2026-11.org.jtgt:many,i,0x" + i, Harness.TARGET, id));
            register(id, 0x1000 + i);
        }
        prout(Harness.NEXUS, 0x06, 0, 0, KA, 0).assertSense(SenseKey.ILLEGAL_REQUEST, 0x55, 0x04);
        prout(100, 0x00, 0, 0x1000, 0x2000, 0).assertGood();   // changing a key needs no new room
    }

    // ---------------- RESERVE and the access table ----------------

    /** Registered B and unregistered C reading and writing under a reservation A holds (SPC-4 table 67, SBC-3 table 13). */
    @ParameterizedTest(name = "type {0}")
    @CsvSource({
        // type, registered read, registered write, unregistered read, unregistered write
        "1, true,  false, true,  false",
        "3, false, false, false, false",
        "5, true,  true,  true,  false",
        "6, true,  true,  false, false",
        "7, true,  true,  true,  false",
        "8, true,  true,  false, false",
    })
    void accessUnderEveryType(int type, boolean regRead, boolean regWrite, boolean unregRead, boolean unregWrite) {
        register(Harness.NEXUS, KA);
        register(B, KB);
        reserve(Harness.NEXUS, KA, type);
        readBlock(Harness.NEXUS).assertGood();
        writeBlock(Harness.NEXUS).assertGood();
        assertAccess(readBlock(B), regRead);
        assertAccess(writeBlock(B), regWrite);
        assertAccess(readBlock(C), unregRead);
        assertAccess(writeBlock(C), unregWrite);
        // MODE SENSE is write-like (SPC-4 table 67); INQUIRY, TEST UNIT READY, READ CAPACITY never conflict
        assertAccess(h.command(C, 0, Cdbs.modeSense6(0, 0, 0x3F, 0, 255), DataDirection.READ, 255, null), unregWrite);
        h.command(C, 0, Cdbs.inquiry(false, 0, 36), DataDirection.READ, 36, null).assertGood();
        h.command(C, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null).assertGood();
        h.command(C, 0, Cdbs.readCapacity10(), DataDirection.READ, 8, null).assertGood();
        prin(D, 0x01, 64).assertGood();
        // READ RESERVATION: the holder's key, or zero for the all-registrants types
        Harness.Result r = prin(D, 0x01, 64);
        assertEquals(16, r.u32(4));
        assertEquals(type >= 7 ? 0 : KA, r.u64(8));
        assertEquals(type, r.u8(8 + 13));
    }

    private static void assertAccess(Harness.Result r, boolean allowed) {
        if (allowed) {
            r.assertGood();
        } else {
            assertConflict(r);
        }
    }

    /** SPC-4 table 67 / SBC-3 table 13: these two depend on their CDB. */
    @Test
    void startStopAndPreventAllowDependOnTheirCdb() {
        register(Harness.NEXUS, KA);
        reserve(Harness.NEXUS, KA, 1);
        h.command(C, 0, MediumTest.preventAllow(0), DataDirection.NONE, 0, null).assertGood();
        assertConflict(h.command(C, 0, MediumTest.preventAllow(1), DataDirection.NONE, 0, null));
        h.command(C, 0, MediumTest.startStop(false, true, 0), DataDirection.NONE, 0, null).assertGood();
        assertConflict(h.command(C, 0, MediumTest.startStop(false, false, 0), DataDirection.NONE, 0, null));
        assertConflict(h.command(C, 0, MediumTest.startStop(false, true, 1), DataDirection.NONE, 0, null));
        h.command(Harness.NEXUS, 0, MediumTest.startStop(false, false, 0), DataDirection.NONE, 0, null).assertGood();
    }

    @Test
    void reserveRules() {
        assertConflict(prout(Harness.NEXUS, 0x01, 1, KA, 0, 0));   // not registered
        register(Harness.NEXUS, KA);
        register(B, KB);
        assertConflict(prout(Harness.NEXUS, 0x01, 1, KB, 0, 0));   // someone else's key
        long gen = generation();
        reserve(Harness.NEXUS, KA, 1);
        assertEquals(gen, generation(), "RESERVE does not change PRGENERATION");
        reserve(Harness.NEXUS, KA, 1);                               // the same again: nothing changes
        assertConflict(prout(Harness.NEXUS, 0x01, 3, KA, 0, 0));   // holder, another type
        assertConflict(prout(B, 0x01, 1, KB, 0, 0));               // another nexus
    }

    @Test
    void allRegistrantsReservationOutlivesItsCreatorsRegistration() {
        register(Harness.NEXUS, KA);
        register(B, KB);
        reserve(Harness.NEXUS, KA, 7);
        prout(Harness.NEXUS, 0x00, 0, KA, 0, 0).assertGood();   // unregister A
        Harness.Result r = prin(D, 0x01, 64);
        assertEquals(7, r.u8(8 + 13), "B still holds it");
        assertConflict(writeBlock(Harness.NEXUS));
        writeBlock(B).assertGood();
        prout(B, 0x00, 0, KB, 0, 0).assertGood();               // the last registrant goes
        assertEquals(0, prin(D, 0x01, 64).u32(4), "no reservation without registrants");
        writeBlock(C).assertGood();
    }

    // ---------------- RELEASE ----------------

    @Test
    void releaseRules() {
        register(Harness.NEXUS, KA);
        register(B, KB);
        prout(Harness.NEXUS, 0x02, 1, KA, 0, 0).assertGood();   // nothing reserved: GOOD
        reserve(Harness.NEXUS, KA, 5);
        prout(B, 0x02, 5, KB, 0, 0).assertGood();               // not the holder: GOOD, nothing released
        assertEquals(16, prin(D, 0x01, 64).u32(4));
        prout(Harness.NEXUS, 0x02, 6, KA, 0, 0).assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x04);
        assertConflict(prout(Harness.NEXUS, 0x02, 5, KB, 0, 0));
        clearUa(B);
        prout(Harness.NEXUS, 0x02, 5, KA, 0, 0).assertGood();
        assertEquals(0, prin(D, 0x01, 64).u32(4));
        assertUa(B, 0x04);                                      // RESERVATIONS RELEASED for the other registrant
        assertNoUa(Harness.NEXUS);
        assertNoUa(C);
    }

    @Test
    void releasingAWriteExclusiveReservationTellsNobody() {
        register(Harness.NEXUS, KA);
        register(B, KB);
        reserve(Harness.NEXUS, KA, 1);
        prout(Harness.NEXUS, 0x02, 1, KA, 0, 0).assertGood();
        assertNoUa(B);
    }

    @Test
    void unregisteringTheHolderOfARegistrantsOnlyReservationReleasesIt() {
        register(Harness.NEXUS, KA);
        register(B, KB);
        reserve(Harness.NEXUS, KA, 6);
        prout(Harness.NEXUS, 0x00, 0, KA, 0, 0).assertGood();
        assertEquals(0, prin(D, 0x01, 64).u32(4));
        assertUa(B, 0x04);
    }

    // ---------------- CLEAR ----------------

    @Test
    void clearRemovesEverythingAndTellsTheOthers() {
        register(Harness.NEXUS, KA);
        register(B, KB);
        reserve(Harness.NEXUS, KA, 3);
        assertConflict(prout(C, 0x03, 0, KC, 0, 0));   // unregistered
        long gen = generation();
        prout(Harness.NEXUS, 0x03, 0, KA, 0, 0).assertGood();
        assertEquals(gen + 1, generation());
        assertEquals(0, keys(D).length);
        assertEquals(0, prin(D, 0x01, 64).u32(4));
        assertUa(B, 0x03);                                 // RESERVATIONS PREEMPTED
        assertNoUa(Harness.NEXUS);
        writeBlock(C).assertGood();
    }

    // ---------------- PREEMPT, PREEMPT AND ABORT ----------------

    @Test
    void preemptTheHolderTakesTheReservation() {
        register(Harness.NEXUS, KA);
        register(B, KB);
        reserve(Harness.NEXUS, KA, 1);
        long gen = generation();
        prout(B, 0x04, 3, KB, KA, 0).assertGood();
        assertEquals(gen + 1, generation());
        assertArrayEquals(new long[] {KB}, keys(D));
        Harness.Result r = prin(D, 0x01, 64);
        assertEquals(KB, r.u64(8));
        assertEquals(3, r.u8(8 + 13));
        assertUa(Harness.NEXUS, 0x05);                     // REGISTRATIONS PREEMPTED
        assertConflict(readBlock(Harness.NEXUS));
        readBlock(B).assertGood();
    }

    @Test
    void preemptWithoutReservationRemovesRegistrations() {
        register(Harness.NEXUS, KA);
        register(B, KB);
        register(C, KB);
        prout(Harness.NEXUS, 0x04, 3, KA, 0, 0).assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        assertConflict(prout(Harness.NEXUS, 0x04, 3, KA, 0x777, 0));   // no registration has that key
        assertConflict(prout(Harness.NEXUS, 0x04, 3, 0x777, KB, 0));   // wrong own key
        prout(Harness.NEXUS, 0x04, 3, KA, KB, 0).assertGood();
        assertArrayEquals(new long[] {KA}, keys(D));
        assertEquals(0, prin(D, 0x01, 64).u32(4), "no reservation is created");
        assertUa(B, 0x05);
        assertUa(C, 0x05);
    }

    @Test
    void preemptANonHolderKeyLeavesTheReservation() {
        register(Harness.NEXUS, KA);
        register(B, KB);
        register(C, KC);
        reserve(Harness.NEXUS, KA, 5);
        prout(B, 0x04, 5, KB, KC, 0).assertGood();
        assertEquals(2, keys(D).length);
        assertEquals(KA, prin(D, 0x01, 64).u64(8));
        prout(B, 0x04, 5, KB, 0, 0).assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
    }

    @Test
    void preemptAllRegistrantsWithZeroKeyRemovesEveryoneElse() {
        register(Harness.NEXUS, KA);
        register(B, KB);
        register(C, KC);
        reserve(Harness.NEXUS, KA, 8);
        prout(B, 0x04, 1, KB, 0, 0).assertGood();
        assertArrayEquals(new long[] {KB}, keys(D));
        Harness.Result r = prin(D, 0x01, 64);
        assertEquals(KB, r.u64(8));
        assertEquals(1, r.u8(8 + 13));
        assertUa(Harness.NEXUS, 0x05);
        assertUa(C, 0x05);
    }

    @Test
    void preemptAndAbortEndsThePreemptedTasks() {
        register(Harness.NEXUS, KA);
        register(B, KB);
        reserve(Harness.NEXUS, KA, 3);
        h.autoDone = false;   // A's commands stay in the task set, as if still in flight
        readBlock(Harness.NEXUS).assertGood();
        readBlock(Harness.NEXUS).assertGood();
        h.command(B, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null).assertGood();
        Nexus a = h.daemon.nexus(Harness.HOST, Harness.NEXUS);
        Nexus b = h.daemon.nexus(Harness.HOST, B);
        assertEquals(2, a.tasks().count(a, 0));
        Harness.Result r = prout(B, 0x05, 3, KB, KA, 0);
        r.assertGood();
        assertEquals(0, a.tasks().count(a, 0), "A's tasks were aborted");
        assertEquals(2, b.tasks().count(b, 0), "B's own tasks stay, the PREEMPT AND ABORT among them");
        h.autoDone = true;
        assertUa(Harness.NEXUS, 0x05);
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(TaskManagementFunction.QUERY_TASK_SET, 0, 0));
        assertEquals(KB, prin(D, 0x01, 64).u64(8));
    }

    // ---------------- REGISTER AND MOVE ----------------

    static byte[] moveList(long key, long sark, int flags, int relativePort, byte[] transportId) {
        byte[] p = new byte[24 + transportId.length];
        Cdbs.be(p, 0, key, 8);
        Cdbs.be(p, 8, sark, 8);
        p[17] = (byte) flags;
        Cdbs.be(p, 18, relativePort, 2);
        Cdbs.be(p, 20, transportId.length, 4);
        System.arraycopy(transportId, 0, p, 24, transportId.length);
        return p;
    }

    Harness.Result move(long nexus, byte[] list, int listLength) {
        return h.command(nexus, 0, proutCdb(0x07, 0, 0, listLength), DataDirection.WRITE, list.length, list);
    }

    @Test
    void registerAndMoveHandsTheReservationOver() {
        register(Harness.NEXUS, KA);
        reserve(Harness.NEXUS, KA, 1);
        byte[] tidB = TransportIds.encode(B_PORT);
        assertEquals(0x45, tidB[0] & 0xFF, "iSCSI, initiator port form");
        byte[] list = moveList(KA, KB, 0x02, 2, tidB);   // UNREG
        move(Harness.NEXUS, list, list.length - 1).assertSense(SenseKey.ILLEGAL_REQUEST, 0x1A, 0x00);
        move(Harness.NEXUS, moveList(KA, KB, 0x02, 77, tidB), list.length).assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        move(Harness.NEXUS, moveList(KA, 0, 0x02, 2, tidB), list.length).assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        assertConflict(move(B, list, list.length));        // B is not registered
        move(Harness.NEXUS, list, list.length).assertGood();
        assertArrayEquals(new long[] {KB}, keys(D));
        Harness.Result r = prin(D, 0x01, 64);
        assertEquals(KB, r.u64(8));
        assertEquals(1, r.u8(8 + 13));
        writeBlock(B).assertGood();
        assertConflict(writeBlock(Harness.NEXUS));
    }

    @Test
    void registerAndMoveToAnFcPortKeepsTheSource() {
        register(Harness.NEXUS, KA);
        reserve(Harness.NEXUS, KA, 3);
        byte[] tidC = TransportIds.encode(C_PORT);
        assertEquals(24, tidC.length);
        move(Harness.NEXUS, moveList(KA, KC, 0, 2, tidC), 24 + tidC.length).assertGood();
        assertEquals(2, keys(D).length);
        readBlock(C).assertGood();
        assertConflict(readBlock(Harness.NEXUS));
    }

    /**
     * The destination need not be logged in: a registered target port with no I_T nexus yet is a
     * port the target is reached through, and the initiator that logs in there later holds the
     * reservation. A port no driver registered is an invalid field.
     */
    @Test
    void registerAndMoveToAPortNobodyIsLoggedInThroughYet() {
        int port = h.daemon.register("iscsi", "127.0.0.1:3261, TPGT 5", 5);
        register(Harness.NEXUS, KA);
        reserve(Harness.NEXUS, KA, 1);
        String later = "iqn.2026-11.org.jtgt:later,i,0x23d000000009";
        byte[] tid = TransportIds.encode(later);
        move(Harness.NEXUS, moveList(KA, KB, 0, port + 100, tid), 24 + tid.length)
                .assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        move(Harness.NEXUS, moveList(KA, KB, 0, port, tid), 24 + tid.length).assertGood();
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(later, Harness.TARGET, 60, port));
        writeBlock(60).assertGood();
        assertConflict(writeBlock(Harness.NEXUS));
    }

    @Test
    void registerAndMoveNeedsOneInitiatorPortAndTheHolder() {
        register(Harness.NEXUS, KA);
        register(B, KB);
        byte[] deviceName = TransportIds.encode("iqn.2026-11.org.jtgt:second");   // no ISID: a device, not a port
        assertEquals(0x05, deviceName[0] & 0xFF);
        byte[] tidB = TransportIds.encode(B_PORT);
        assertConflict(move(Harness.NEXUS, moveList(KA, KB, 0, 2, tidB), 24 + tidB.length));   // no reservation
        reserve(Harness.NEXUS, KA, 1);
        move(Harness.NEXUS, moveList(KA, KB, 0, 2, deviceName), 24 + deviceName.length)
                .assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        byte[] self = TransportIds.encode(Harness.INITIATOR + ",i,0x23d000000001");
        move(Harness.NEXUS, moveList(KA, KC, 0, 2, self), 24 + self.length).assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        assertConflict(move(B, moveList(KB, KC, 0, 2, self), 24 + self.length));   // B is registered, not the holder
        assertConflict(move(Harness.NEXUS, moveList(KB, KC, 0, 2, tidB), 24 + tidB.length));   // wrong key
        prout(Harness.NEXUS, 0x02, 1, KA, 0, 0).assertGood();
        reserve(Harness.NEXUS, KA, 7);
        assertConflict(move(Harness.NEXUS, moveList(KA, KC, 0, 2, tidB), 24 + tidB.length));   // all registrants
    }

    // ---------------- READ FULL STATUS, REPORT CAPABILITIES ----------------

    @Test
    void readFullStatusCarriesTransportIds() {
        register(Harness.NEXUS, KA);
        register(C, KC);
        reserve(C, KC, 1);
        Harness.Result r = prin(B, 0x03, 4096);
        r.assertGood();
        int p = 8;
        String aPort = Harness.INITIATOR + ",i,0x23d000000001";
        // A: iSCSI initiator port TransportID
        assertEquals(KA, r.u64(p));
        assertEquals(0, r.u8(p + 12), "not the holder");
        assertEquals(2, r.u16(p + 18), "relative target port");
        int tidLength = (int) r.u32(p + 20);
        assertEquals(0x45, r.u8(p + 24));
        assertEquals(tidLength - 4, r.u16(p + 26));
        assertEquals(0, tidLength % 4);
        assertEquals(aPort, new String(r.data(), p + 28, aPort.length(), StandardCharsets.UTF_8));
        assertEquals(0, r.u8(p + 28 + aPort.length()), "NUL-terminated");
        p += 24 + tidLength;
        // C: FC N_Port name, holder of a Write Exclusive reservation
        assertEquals(KC, r.u64(p));
        assertEquals(1, r.u8(p + 12), "R_HOLDER");
        assertEquals(1, r.u8(p + 13), "scope LU, type WE");
        assertEquals(24, r.u32(p + 20));
        assertEquals(0x00, r.u8(p + 24), "FC");
        assertEquals(0x21000024ff000001L, r.u64(p + 32));
        p += 48;
        assertEquals(p - 8, r.u32(4));
        assertEquals(p, r.data().length);
    }

    @Test
    void reportCapabilitiesWithoutStateDirectory() {
        Harness.Result r = prin(Harness.NEXUS, 0x02, 8);
        r.assertGood();
        assertArrayEquals(new byte[] {0, 8, 0x10, (byte) 0x80, (byte) 0xEA, 0x01, 0, 0}, r.data());
        // APTPL needs PTPL_C
        prout(Harness.NEXUS, 0x06, 0, 0, KA, 0x01).assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
    }

    // ---------------- CDB and parameter list checks ----------------

    @Test
    void parameterListLengthMustBe24() {
        for (int length : new int[] {0, 23, 25, 32}) {
            byte[] list = Arrays.copyOf(basicList(0, KA, 0), Math.max(length, 24));
            h.command(Harness.NEXUS, 0, proutCdb(0x06, 0, 0, length), DataDirection.WRITE, list.length, list)
                    .assertSense(SenseKey.ILLEGAL_REQUEST, 0x1A, 0x00);
        }
        // fewer bytes sent than the list length says
        byte[] list = basicList(0, KA, 0);
        h.command(Harness.NEXUS, 0, proutCdb(0x06, 0, 0, 24), DataDirection.WRITE, 16, list)
                .assertSense(SenseKey.ILLEGAL_REQUEST, 0x1A, 0x00);
        assertEquals(0, keys(D).length);
    }

    @Test
    void unsupportedParameterBitsPointAtThemselves() {
        Harness.Result sip = prout(Harness.NEXUS, 0x00, 0, 0, KA, 0x08);
        sip.assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        assertEquals(0x80 | 0x08 | 3, sip.sense()[15] & 0xFF, "SKSV, C/D = 0 (parameter list), BPV, bit 3");
        assertEquals(20, sip.sense()[17] & 0xFF);
        // with the TransportIDs SPEC_I_PT = 1 brings (SPC-4 6.16.3): the bit, not the list's length
        byte[] tid = TransportIds.encode(B_PORT);
        byte[] withIds = Arrays.copyOf(basicList(0, KA, 0x08), 28 + tid.length);
        Cdbs.be(withIds, 24, tid.length, 4);
        System.arraycopy(tid, 0, withIds, 28, tid.length);
        Harness.Result sipIds = h.command(Harness.NEXUS, 0, proutCdb(0x00, 0, 0, withIds.length), DataDirection.WRITE,
                withIds.length, withIds);
        sipIds.assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        assertEquals(0x80 | 0x08 | 3, sipIds.sense()[15] & 0xFF);
        assertEquals(20, sipIds.sense()[17] & 0xFF);
        Harness.Result atp = prout(Harness.NEXUS, 0x06, 0, 0, KA, 0x04);
        atp.assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        assertEquals(0x80 | 0x08 | 2, atp.sense()[15] & 0xFF);
        assertEquals(0, keys(D).length);
        // ALL_TG_PT is ignored outside REGISTER / REGISTER AND IGNORE EXISTING KEY
        register(Harness.NEXUS, KA);
        prout(Harness.NEXUS, 0x01, 1, KA, 0, 0x04).assertGood();
    }

    @Test
    void scopeTypeAndServiceActionAreChecked() {
        register(Harness.NEXUS, KA);
        for (int type : new int[] {0, 2, 4, 9, 15}) {
            Harness.Result r = prout(Harness.NEXUS, 0x01, type, KA, 0, 0);
            r.assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
            assertEquals(2, r.sense()[17] & 0xFF);
        }
        byte[] list = basicList(KA, 0, 0);
        h.command(Harness.NEXUS, 0, proutCdb(0x01, 1, 1, 24), DataDirection.WRITE, 24, list)
                .assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        h.command(Harness.NEXUS, 0, proutCdb(0x08, 0, 1, 24), DataDirection.WRITE, 24, list)
                .assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        for (int sa = 4; sa < 32; sa++) {
            prin(Harness.NEXUS, sa, 64).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        }
    }

    // ---------------- SPC-2 RESERVE/RELEASE, resets, nexus loss ----------------

    @Test
    void spc2ReserveAndReleaseConflictWhileRegistered() {
        register(B, KB);
        assertConflict(h.none(0, ReservationTest.cdb(0x16)));
        assertConflict(h.none(0, ReservationTest.cdb(0x56)));
        assertConflict(h.none(0, ReservationTest.cdb(0x17)));
        assertConflict(h.none(0, ReservationTest.cdb(0x57)));
        prout(B, 0x00, 0, KB, 0, 0).assertGood();
        h.none(0, ReservationTest.cdb(0x16)).assertGood();
    }

    @Test
    void persistentReserveCommandsConflictWithAnotherNexusSpc2Reservation() {
        h.none(0, ReservationTest.cdb(0x16)).assertGood();       // A holds an SPC-2 reservation
        assertConflict(prin(B, 0x00, 64));
        assertConflict(prout(B, 0x06, 0, 0, KB, 0));
        prin(Harness.NEXUS, 0x00, 64).assertGood();               // the holder may
        h.none(0, ReservationTest.cdb(0x17)).assertGood();
        register(B, KB);
    }

    @Test
    void persistentReservationsSurviveResetsAndNexusLoss() {
        register(Harness.NEXUS, KA);
        register(B, KB);
        reserve(B, KB, 3);
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(TaskManagementFunction.LOGICAL_UNIT_RESET, 0, 0));
        clearUa(Harness.NEXUS);
        clearUa(B);
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(B, TaskManagementFunction.I_T_NEXUS_RESET, 0, 0));
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.tmf(TaskManagementFunction.TARGET_WARM_RESET, 0, 0));
        clearUa(Harness.NEXUS);
        clearUa(B);
        clearUa(D);
        assertEquals(2, keys(D).length);
        assertEquals(KB, prin(D, 0x01, 64).u64(8));
        assertConflict(readBlock(Harness.NEXUS));
        // B logs out and in again (same initiator port, same target port): still the holder
        assertEquals(ItNexusRspEvent.RESULT_OK, h.logout(B));
        assertConflict(readBlock(Harness.NEXUS));
        assertEquals(ItNexusRspEvent.RESULT_OK, h.login(B_PORT, Harness.TARGET, 20));
        readBlock(20).assertGood();
        prout(20, 0x02, 3, KB, 0, 0).assertGood();
        readBlock(Harness.NEXUS).assertGood();
    }

    @Test
    void reportSupportedOperationCodesListsBothCommands() {
        for (int[] opSa : new int[][] {{0x5E, 0}, {0x5E, 3}, {0x5F, 0}, {0x5F, 7}}) {
            byte[] cdb = new byte[12];
            cdb[0] = (byte) 0xA3;
            cdb[1] = 0x0C;
            cdb[2] = 0x02;   // one command, with service action
            cdb[3] = (byte) opSa[0];
            Cdbs.be(cdb, 4, opSa[1], 2);
            Cdbs.be(cdb, 6, 64, 4);
            Harness.Result r = h.read(0, cdb, 64);
            r.assertGood();
            assertEquals(0x03, r.u8(1) & 0x07, "SUPPORT: supported as in the standard");
            assertEquals(10, r.u16(2), "CDB size");
            assertEquals(opSa[0], r.u8(4));
        }
        byte[] cdb = new byte[12];
        cdb[0] = (byte) 0xA3;
        cdb[1] = 0x0C;
        cdb[2] = 0x02;
        cdb[3] = 0x5F;
        Cdbs.be(cdb, 4, 8, 2);
        Cdbs.be(cdb, 6, 64, 4);
        assertEquals(0x01, h.read(0, cdb, 64).u8(1) & 0x07, "REPLACE LOST RESERVATION is not supported");
    }
}
