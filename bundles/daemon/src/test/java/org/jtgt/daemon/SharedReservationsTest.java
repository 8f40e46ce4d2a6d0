package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.store.BackingStore;
import org.jtgt.api.target.AccessState;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.PortGroup;
import org.jtgt.backing.rbd.RbdStoreProvider;
import org.jtgt.testkit.CephCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Persistent reservations shared across gateways: two daemons (two {@link TargetDaemon}s, as two
 * jtgt processes would have) export one RBD image of a one-node Ceph cluster under
 * {@code target/}, each through its own store (its own cluster handle) and its own relative
 * target port (A: 1, B: 2). What one gateway's PERSISTENT RESERVE OUT changed, the other's next
 * command sees.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class SharedReservationsTest {
    private static final String POOL = "jtgt";
    private static final int PORT_A = 1;
    private static final int PORT_B = 2;
    static final String I1 = "iqn.2026-12.org.example:host1,i,0x23d000000001";
    static final String I2 = "iqn.2026-12.org.example:host2,i,0x23d000000002";
    private static final long N1 = 7;
    private static final long N2 = 8;
    private static final long K1 = 0x1111;
    private static final long K2 = 0x2222;
    private static final AtomicInteger IMAGES = new AtomicInteger();
    private static CephCluster cluster;

    private Gateway a;
    private Gateway b;
    private String image;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = CephCluster.start(Path.of("target", "ceph-shared-reservations"), POOL);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.stop();
        }
    }

    /** One gateway: a daemon with the target, LUN 0 on the image, its port. */
    static final class Gateway {
        final Harness h = new Harness();
        final BackingStore store;
        final int port;

        Gateway(String image, int port) throws Exception {
            this.port = port;
            RbdStoreProvider p = new RbdStoreProvider();
            Map<String, String> options = Map.of(RbdStoreProvider.OPTION_CONF, cluster.conf().toString(),
                    RbdStoreProvider.OPTION_KEYRING, cluster.adminKeyring().toString(),
                    RbdStoreProvider.OPTION_ID, cluster.clientId());
            var plan = p.plan(POOL + "/" + image, null, false, options);
            store = p.open(plan.path(), plan.size(), plan.options());
            h.daemon.createTarget(Harness.TARGET);
            h.daemon.addLun(Harness.TARGET, 0, store, Harness.BLOCK, LunOptions.DEFAULT);
        }

        void login(String initiator, long nexus) {
            assertEquals(ItNexusRspEvent.RESULT_OK, h.login(initiator, Harness.TARGET, nexus, port));
        }

        Harness.Result prout(long nexus, int sa, int type, long key, long sark, int flags) {
            byte[] list = PersistentReservationTest.basicList(key, sark, flags);
            return h.command(nexus, 0, PersistentReservationTest.proutCdb(sa, 0, type, list.length), DataDirection.WRITE,
                    list.length, list);
        }

        Harness.Result prin(long nexus, int sa) {
            return h.command(nexus, 0, PersistentReservationTest.prinCdb(sa, 4096), DataDirection.READ, 4096, null);
        }

        long[] keys(long nexus) {
            Harness.Result r = prin(nexus, 0x00);
            r.assertGood();
            long[] k = new long[(int) r.u32(4) / 8];
            for (int i = 0; i < k.length; i++) {
                k[i] = r.u64(8 + i * 8);
            }
            return k;
        }

        Harness.Result write(long nexus) {
            return h.command(nexus, 0, Cdbs.rw10(true, 1, 1, 0), DataDirection.WRITE, 512, new byte[512]);
        }

        Harness.Result read(long nexus) {
            return h.command(nexus, 0, Cdbs.rw10(false, 1, 1, 0), DataDirection.READ, 512, null);
        }

        Harness.Result tur(long nexus) {
            return h.command(nexus, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null);
        }

        /** The unit leaves the daemon: record closed, store closed (a gateway stopping). */
        void stop() {
            h.daemon.removeLun(Harness.TARGET, 0);
        }
    }

    private void gateways() throws Exception {
        image = "shared" + IMAGES.incrementAndGet();
        cluster.createImage(POOL, image, 4 << 20);
        a = new Gateway(image, PORT_A);
        b = new Gateway(image, PORT_B);
        a.login(I1, N1);
        b.login(I2, N2);
    }

    @AfterEach
    void stopGateways() {
        for (Gateway g : Arrays.asList(a, b)) {
            if (g != null) {
                try {
                    g.stop();
                } catch (RuntimeException e) {
                    // already stopped by the test
                }
            }
        }
    }

    @Test
    void aRegistrationThroughOneGatewayIsReadThroughTheOther() throws Exception {
        gateways();
        a.prout(N1, 0x00, 0, 0, K1, 0).assertGood();   // REGISTER
        assertArrayEquals(new long[] {K1}, b.keys(N2));
        Harness.Result full = b.prin(N2, 0x03);       // READ FULL STATUS names gateway A's port
        full.assertGood();
        assertEquals(PORT_A, full.u16(8 + 18));
        assertEquals(1, full.u32(0), "PRGENERATION");
        // REPORT CAPABILITIES: PTPL_C, the record persists
        Harness.Result caps = b.prin(N2, 0x02);
        caps.assertGood();
        assertEquals(PersistentReserveCommands.PTPL_C, caps.u8(2) & PersistentReserveCommands.PTPL_C);
    }

    @Test
    void aReservationThroughOneGatewayConflictsOnTheOther() throws Exception {
        gateways();
        a.prout(N1, 0x00, 0, 0, K1, 0).assertGood();
        a.prout(N1, 0x01, PersistentReservations.WRITE_EXCLUSIVE, K1, 0, 0).assertGood();   // RESERVE
        Harness.Result w = b.write(N2);
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, w.status(), "B's unregistered nexus may not write");
        b.read(N2).assertGood();
        a.write(N1).assertGood();
        Harness.Result res = b.prin(N2, 0x01);   // READ RESERVATION
        res.assertGood();
        assertEquals(16, res.u32(4));
        assertEquals(K1, res.u64(8));
        assertEquals(PersistentReservations.WRITE_EXCLUSIVE, res.u8(8 + 13) & 0x0F);
        // RELEASE through A: B writes again at once
        a.prout(N1, 0x02, PersistentReservations.WRITE_EXCLUSIVE, K1, 0, 0).assertGood();
        b.write(N2).assertGood();
    }

    @Test
    void aPreemptThroughTheOtherGatewayTakesTheReservationAway() throws Exception {
        gateways();
        a.prout(N1, 0x00, 0, 0, K1, 0).assertGood();
        a.prout(N1, 0x01, PersistentReservations.WRITE_EXCLUSIVE, K1, 0, 0).assertGood();
        b.prout(N2, 0x00, 0, 0, K2, 0).assertGood();
        b.prout(N2, 0x04, PersistentReservations.EXCLUSIVE_ACCESS, K2, K1, 0).assertGood();   // PREEMPT K1
        // A's nexus hears of it (REGISTRATIONS PREEMPTED), then conflicts: it is neither holder nor registered
        a.tur(N1).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x05);
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, a.read(N1).status());
        assertArrayEquals(new long[] {K2}, a.keys(N1));
        Harness.Result res = a.prin(N1, 0x01);
        res.assertGood();
        assertEquals(K2, res.u64(8));
        assertEquals(PersistentReservations.EXCLUSIVE_ACCESS, res.u8(8 + 13) & 0x0F);
        b.write(N2).assertGood();
        // CLEAR through B: A's nexus is not registered any more, so it gets no unit attention; B's own none
        b.prout(N2, 0x03, 0, K2, 0, 0).assertGood();
        assertArrayEquals(new long[0], a.keys(N1));
        a.write(N1).assertGood();
    }

    /** PREEMPT AND ABORT through B ends the preempted nexus's tasks on A. */
    @Test
    void aPreemptAndAbortThroughTheOtherGatewayEndsThePreemptedTasks() throws Exception {
        gateways();
        a.prout(N1, 0x00, 0, 0, K1, 0).assertGood();
        a.prout(N1, 0x01, PersistentReservations.EXCLUSIVE_ACCESS, K1, 0, 0).assertGood();
        b.prout(N2, 0x00, 0, 0, K2, 0).assertGood();
        a.h.autoDone = false;   // A's commands stay in the task set, as if still in flight
        a.read(N1).assertGood();
        a.read(N1).assertGood();
        Nexus n1 = a.h.daemon.nexus(Harness.HOST, N1);
        assertEquals(2, n1.tasks().count(n1, 0));
        b.prout(N2, 0x05, PersistentReservations.EXCLUSIVE_ACCESS, K2, K1, 0).assertGood();   // PREEMPT AND ABORT
        assertEquals(0, n1.tasks().count(n1, 0), "A's tasks were aborted before B answered");
        a.h.autoDone = true;
        a.tur(N1).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x05);
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, a.read(N1).status());
    }

    @Test
    void aClearThroughOneGatewayTellsTheOthersRegistrants() throws Exception {
        gateways();
        a.prout(N1, 0x00, 0, 0, K1, 0).assertGood();
        b.prout(N2, 0x00, 0, 0, K2, 0).assertGood();
        b.prout(N2, 0x03, 0, K2, 0, 0).assertGood();   // CLEAR
        a.tur(N1).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x03);   // RESERVATIONS PREEMPTED
        b.tur(N2).assertGood();
        assertArrayEquals(new long[0], a.keys(N1));
    }

    /**
     * REGISTER AND MOVE through gateway A to an I_T nexus of gateway B (destination relative
     * target port B's, which A knows from the port groups every gateway has): B enforces it at
     * once, both read the same reservation, the destination is registered with the service action
     * reservation key, and the source (UNREG) is not.
     */
    @Test
    void aRegisterAndMoveToTheOtherGatewaysNexusIsEnforcedThereAtOnce() throws Exception {
        gateways();
        for (Gateway g : List.of(a, b)) {   // what targets.conf's portgroup lines give every gateway
            g.h.daemon.setPortGroups(Harness.TARGET, List.of(
                    new PortGroup(1, List.of(PORT_A), AccessState.ACTIVE_OPTIMIZED, false),
                    new PortGroup(2, List.of(PORT_B), AccessState.ACTIVE_NON_OPTIMIZED, false)));
        }
        a.tur(N1);
        b.tur(N2);   // the port groups' unit attentions
        a.prout(N1, 0x00, 0, 0, K1, 0).assertGood();
        a.prout(N1, 0x01, PersistentReservations.WRITE_EXCLUSIVE, K1, 0, 0).assertGood();
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, b.write(N2).status());
        byte[] tid = TransportIds.encode(I2);
        byte[] list = PersistentReservationTest.moveList(K1, K2, 0x02, PORT_B, tid);   // UNREG
        // a port of no gateway's group is not a port the target is reached through
        byte[] nowhere = PersistentReservationTest.moveList(K1, K2, 0x02, 77, tid);
        a.h.command(N1, 0, PersistentReservationTest.proutCdb(0x07, 0, 0, nowhere.length), DataDirection.WRITE,
                nowhere.length, nowhere).assertSense(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00);
        a.h.command(N1, 0, PersistentReservationTest.proutCdb(0x07, 0, 0, list.length), DataDirection.WRITE,
                list.length, list).assertGood();
        for (Gateway g : List.of(a, b)) {
            long nexus = g == a ? N1 : N2;
            assertArrayEquals(new long[] {K2}, g.keys(nexus), "the destination registered with the SARK, the source not");
            Harness.Result res = g.prin(nexus, 0x01);
            res.assertGood();
            assertEquals(16, res.u32(4), "a reservation");
            assertEquals(K2, res.u64(8));
            assertEquals(PersistentReservations.WRITE_EXCLUSIVE, res.u8(8 + 13) & 0x0F);
            Harness.Result full = g.prin(nexus, 0x03);   // READ FULL STATUS: the holder is on B's port
            full.assertGood();
            assertEquals(K2, full.u64(8));
            assertEquals(1, full.u8(8 + 12) & 0x01, "R_HOLDER");
            assertEquals(PORT_B, full.u16(8 + 18));
        }
        b.write(N2).assertGood();
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, a.write(N1).status(), "the source holds nothing now");
        a.read(N1).assertGood();
        // the new holder releases through B: A writes again at once
        b.prout(N2, 0x02, PersistentReservations.WRITE_EXCLUSIVE, K2, 0, 0).assertGood();
        a.write(N1).assertGood();
    }

    /**
     * SPC-2 reservations are not offered on a unit whose persistent reservations are shared: a
     * RESERVE held through one gateway would not hold on the other. RESERVE and RELEASE (6) and
     * (10) are INVALID COMMAND OPERATION CODE and REPORT SUPPORTED OPERATION CODES leaves them out.
     */
    @Test
    void spc2ReservationsAreNotOfferedWhenReservationsAreShared() throws Exception {
        gateways();
        byte[][] cdbs = {{0x16, 0, 0, 0, 0, 0}, {0x17, 0, 0, 0, 0, 0}, {0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0},
            {0x57, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
        for (byte[] cdb : cdbs) {
            a.h.command(N1, 0, cdb, DataDirection.NONE, 0, null).assertSense(SenseKey.ILLEGAL_REQUEST, 0x20, 0x00);
        }
        b.write(N2).assertGood();   // nothing was reserved
        byte[] rsoc = {(byte) 0xA3, 0x0C, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0};
        Harness.Result all = b.h.command(N2, 0, rsoc, DataDirection.READ, 0x4000, null);
        all.assertGood();
        Set<Integer> listed = new HashSet<>();
        for (int p = 4; p < 4 + all.u32(0); p += 8) {
            listed.add(all.u8(p));
        }
        assertTrue(listed.contains(0x5F) && listed.contains(0x5E), "PERSISTENT RESERVE IN/OUT listed: " + listed);
        for (int op : new int[] {0x16, 0x17, 0x56, 0x57}) {
            assertFalse(listed.contains(op), "opcode " + Integer.toHexString(op) + " listed");
            byte[] one = {(byte) 0xA3, 0x0C, 0x01, (byte) op, 0, 0, 0, 0, 0, 64, 0, 0};
            Harness.Result r = b.h.command(N2, 0, one, DataDirection.READ, 64, null);
            r.assertGood();
            assertEquals(0x01, r.u8(1) & 0x07, "SUPPORT: not supported");
        }
    }

    /** 50 registrations through each gateway at once, from two threads: every one is there, read through either. */
    @Test
    void racingRegistrationsThroughBothGatewaysAreAllKept() throws Exception {
        gateways();
        int each = 50;
        for (int i = 0; i < each; i++) {
            a.login("iqn.2026-12.org.example:a" + i + ",i,0x1", 100 + i);
            b.login("iqn.2026-12.org.example:b" + i + ",i,0x1", 200 + i);
        }
        CountDownLatch go = new CountDownLatch(1);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        Thread[] threads = new Thread[2];
        for (int g = 0; g < 2; g++) {
            Gateway gw = g == 0 ? a : b;
            int base = g == 0 ? 100 : 200;
            threads[g] = new Thread(() -> {
                try {
                    go.await();
                    for (int i = 0; i < each; i++) {
                        gw.prout(base + i, 0x00, 0, 0, 0x10000L * base + i + 1, 0).assertGood();
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            threads[g].start();
        }
        go.countDown();
        for (Thread t : threads) {
            t.join(200_000);
        }
        assertTrue(failures.isEmpty(), failures.toString());
        Set<Long> expected = new HashSet<>();
        for (int i = 0; i < each; i++) {
            expected.add(0x10000L * 100 + i + 1);
            expected.add(0x10000L * 200 + i + 1);
        }
        for (Gateway gw : List.of(a, b)) {
            Set<Long> seen = new HashSet<>();
            for (long k : gw.keys(gw == a ? N1 : N2)) {
                seen.add(k);
            }
            assertEquals(expected, seen);
        }
        Harness.Result g = a.prin(N1, 0x00);
        assertEquals(2 * each, g.u32(0), "PRGENERATION counts every registration once");
    }

    /** APTPL state survives both gateways stopping; state without APTPL does not (a power loss of the cluster of gateways). */
    @Test
    void aptplStateSurvivesAFullRestartOfBothGateways() throws Exception {
        gateways();
        a.prout(N1, 0x00, 0, 0, K1, PersistentReserveCommands.APTPL).assertGood();
        a.prout(N1, 0x01, PersistentReservations.WRITE_EXCLUSIVE_REGISTRANTS_ONLY, K1, 0, 0).assertGood();
        a.stop();
        b.stop();
        a = new Gateway(image, PORT_A);
        b = new Gateway(image, PORT_B);
        a.login(I1, N1);
        b.login(I2, N2);
        assertArrayEquals(new long[] {K1}, b.keys(N2));
        assertEquals(ScsiStatus.RESERVATION_CONFLICT, b.write(N2).status());
        a.write(N1).assertGood();
        // without APTPL: registrations are gone after a full restart, but not after one gateway's
        a.prout(N1, 0x00, 0, K1, K1, 0).assertGood();   // APTPL 0 now
        b.stop();
        b = new Gateway(image, PORT_B);
        b.login(I2, N2);
        assertArrayEquals(new long[] {K1}, b.keys(N2), "A still runs: B takes the state over");
        a.stop();
        b.stop();
        a = new Gateway(image, PORT_A);
        a.login(I1, N1);
        assertArrayEquals(new long[0], a.keys(N1), "no gateway ran and APTPL was off");
        a.write(N1).assertGood();
        b = new Gateway(image, PORT_B);
        b.login(I2, N2);
    }

    /** A blocklisted gateway answers PERSISTENT RESERVE OUT NOT READY, and nothing changes for the other. */
    @Test
    void aFencedGatewayDoesNotAnswerAChangeAsDone() throws Exception {
        gateways();
        a.prout(N1, 0x00, 0, 0, K1, 0).assertGood();
        Method address = a.store.getClass().getDeclaredMethod("clientAddress");
        address.setAccessible(true);
        String who = (String) address.invoke(a.store);
        cluster.ceph("osd", "blocklist", "add", who);
        try {
            Harness.Result r = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            long key = K1;
            while (System.nanoTime() < deadline) {
                // change the key until the OSDs refuse this client (it needs the new OSD map first)
                r = a.prout(N1, 0x00, 0, key, key + 1, 0);
                if (r.status() != 0) {
                    break;
                }
                key++;
                Thread.sleep(200);
            }
            r.assertSense(SenseKey.NOT_READY, 0x04, 0x0C);
            assertArrayEquals(new long[] {key}, b.keys(N2), "the refused change was not made");
            // its watch is lost too: it reads no keys it may have missed changes to
            Harness.Result keys = null;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < until) {
                keys = a.prin(N1, 0x00);
                if (keys.status() != 0) {
                    break;
                }
                Thread.sleep(200);
            }
            keys.assertSense(SenseKey.NOT_READY, 0x04, 0x0C);
        } finally {
            cluster.ceph("osd", "blocklist", "rm", who);
        }
    }
}
