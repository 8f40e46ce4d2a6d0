package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.AccessState;
import org.jtgt.api.target.GatewayOwnership;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.PortGroup;
import org.junit.jupiter.api.Test;

/**
 * A gateway cluster in one JVM: two daemons, gateway 1 (port 1) and gateway 2 (port 2), each
 * with the same target and LUN on one shared store whose owner a {@link Cluster} decides (as the
 * rbd store's exclusive lock does). The port groups follow the owner on both, REPORT TARGET PORT
 * GROUPS answers the same on both, SET TARGET PORT GROUPS asks for a move, every change is
 * ASYMMETRIC ACCESS STATE CHANGED on every nexus, a fenced gateway's group is unavailable.
 */
class GatewayStatesTest {
    private static final byte SUP = (byte) 0x8F;

    /** The image's owner, shared by the gateways' stores. */
    static final class Cluster {
        volatile int owner = 1;
        final GatewayStore[] stores = new GatewayStore[3];

        /** A heartbeat on every gateway. */
        void beat() {
            for (GatewayStore s : stores) {
                if (s != null && s.listener != null) {
                    s.listener.run();
                }
            }
        }
    }

    /** The stores' takeover bound, reported as IMPLICIT TRANSITION TIME. */
    static final int TRANSITION_SECONDS = 4;

    /** One gateway's store: a memory store over the shared bytes, the owner from the cluster. */
    static final class GatewayStore extends MemoryStore implements GatewayOwnership {
        final Cluster cluster;
        final int gateway;
        volatile boolean fenced;
        volatile Runnable listener;
        int requested;

        GatewayStore(Cluster cluster, int gateway, byte[] shared) {
            super(0);
            this.bytes = shared;
            this.cluster = cluster;
            this.gateway = gateway;
            cluster.stores[gateway] = this;
        }

        @Override
        public int gateway() {
            return gateway;
        }

        @Override
        public int owner() {
            return fenced ? 0 : cluster.owner;
        }

        @Override
        public boolean fenced() {
            return fenced;
        }

        @Override
        public AccessState followerState() {
            return AccessState.STANDBY;
        }

        @Override
        public int implicitTransitionSeconds() {
            return TRANSITION_SECONDS;
        }

        @Override
        public void requestOwnership(int to) {
            requested = to;
        }

        @Override
        public void ownershipListener(Runnable l) {
            listener = l;
        }
    }

    private final Cluster cluster = new Cluster();
    private final byte[] shared = new byte[Harness.SIZE];
    private final Harness a = gateway(1);
    private final Harness b = gateway(2);

    private Harness gateway(int n) {
        Harness h = new Harness();
        assertEquals(n, h.daemon.register("iscsi", "127.0.0." + (n + 1) + ":3260 TPGT " + n, n));
        h.daemon.createTarget(Harness.TARGET);
        h.daemon.addLun(Harness.TARGET, 0, new GatewayStore(cluster, n, shared), Harness.BLOCK, LunOptions.DEFAULT);
        // as targets.conf gives them on every gateway, after the LUN
        h.daemon.setPortGroups(Harness.TARGET, List.of(
                new PortGroup(1, List.of(1), AccessState.ACTIVE_OPTIMIZED, false),
                new PortGroup(2, List.of(2), AccessState.ACTIVE_OPTIMIZED, false)));
        assertEquals(ItNexusRspEvent.RESULT_OK,
                h.login(Harness.INITIATOR + ",i,0x23d00000000" + n, Harness.TARGET, Harness.NEXUS, n));
        return h;
    }

    private static Harness.Result run(Harness h, byte[] cdb) {
        return h.command(Harness.NEXUS, 0, cdb, DataDirection.READ, 512, null);
    }

    private static void takeStateChanged(Harness h) {
        run(h, Cdbs.testUnitReady()).assertSense(SenseKey.UNIT_ATTENTION, 0x2A, 0x06);
    }

    private static byte[] rtpg(Harness h) {
        Harness.Result r = run(h, TargetPortGroupsTest.rtpg(1, 512));
        r.assertGood();
        byte[] d = r.data();
        assertTrue(d[13] == 0 || d[13] == 0x02, "STATUS CODE none or implicit");
        assertTrue(d[25] == 0 || d[25] == 0x02, "STATUS CODE none or implicit");
        d[13] = 0;   // STATUS CODE: whether the state changed since the administrator set it
        d[25] = 0;
        return d;
    }

    /** The two group descriptors with their one port each, after the extended header (STATUS CODE left out). */
    private static byte[] groups(int state1, int state2) {
        return new byte[] {
            0, 0, 0, 28, 0x10, TRANSITION_SECONDS, 0, 0,
            (byte) state1, SUP, 0, 1, 0, 0, 0, 1,
            0, 0, 0, 1,
            (byte) state2, SUP, 0, 2, 0, 0, 0, 1,
            0, 0, 0, 2,
        };
    }

    @Test
    void thePortGroupsFollowTheOwnerAndReadTheSameOnEveryGateway() {
        cluster.beat();
        // the configured groups took the owner's states when they were set, so the first heartbeat
        // changes nothing: no ASYMMETRIC ACCESS STATE CHANGED for the new sessions
        run(a, Cdbs.testUnitReady()).assertGood();
        run(b, Cdbs.testUnitReady()).assertSense(SenseKey.NOT_READY, 0x04, 0x0B);   // standby, no attention
        for (Harness h : List.of(a, b)) {
            assertArrayEquals(groups(0x00, 0x02), rtpg(h), "gateway 1 owns: its group active/optimized, 2 standby;"
                    + " each gateway reports the other's group and port");
        }
        // the same LUN identity on both: VPD 83h's NAA designator and VPD 80h's serial number
        byte[] naaA = Arrays.copyOfRange(run(a, Cdbs.inquiry(true, 0x83, 512)).data(), 4, 16);
        assertArrayEquals(naaA, Arrays.copyOfRange(run(b, Cdbs.inquiry(true, 0x83, 512)).data(), 4, 16));
        assertArrayEquals(run(a, Cdbs.inquiry(true, 0x80, 512)).data(), run(b, Cdbs.inquiry(true, 0x80, 512)).data());

        byte[] data = Harness.pattern(4096, 5);
        a.command(Harness.NEXUS, 0, Cdbs.rw10(true, 8, 8, 0), DataDirection.WRITE, 4096, data).assertGood();
        run(b, Cdbs.testUnitReady()).assertSense(SenseKey.NOT_READY, 0x04, 0x0B);   // standby

        // SET TARGET PORT GROUPS on gateway 2 asks for gateway 2 to own the image; the states follow the move
        byte[] list = AccessStateTest.stpgList(0x00, 2, 0x02, 1);
        b.command(Harness.NEXUS, 0, AccessStateTest.stpgCdb(list.length), DataDirection.WRITE, list.length, list)
                .assertGood();
        assertEquals(2, cluster.stores[2].requested);
        assertArrayEquals(groups(0x00, 0x02), rtpg(b), "nothing changes before the move");
        cluster.owner = 2;
        cluster.beat();
        for (Harness h : List.of(a, b)) {
            takeStateChanged(h);
            assertArrayEquals(groups(0x02, 0x00), rtpg(h));
        }
        Harness.Result r = b.command(Harness.NEXUS, 0, Cdbs.rw10(false, 8, 8, 0), DataDirection.READ, 4096, null);
        r.assertGood();
        assertArrayEquals(data, r.data(), "gateway 2 reads what gateway 1 wrote");
        run(a, Cdbs.testUnitReady()).assertSense(SenseKey.NOT_READY, 0x04, 0x0B);
        cluster.beat();
        run(a, Cdbs.testUnitReady()).assertSense(SenseKey.NOT_READY, 0x04, 0x0B);   // no change, no new attention

        // no owner (a takeover under way): transitioning everywhere
        cluster.owner = 0;
        cluster.beat();
        takeStateChanged(b);
        run(b, Cdbs.testUnitReady()).assertSense(SenseKey.NOT_READY, 0x04, 0x0A);
        assertArrayEquals(groups(0x0F, 0x0F), rtpg(b));

        // gateway 1 takes over; gateway 2 was fenced: its own group is unavailable there
        cluster.owner = 1;
        cluster.stores[2].fenced = true;
        cluster.beat();
        takeStateChanged(b);
        run(b, Cdbs.testUnitReady()).assertSense(SenseKey.NOT_READY, 0x04, 0x0C);
        takeStateChanged(a);
        run(a, Cdbs.testUnitReady()).assertGood();
        assertArrayEquals(groups(0x00, 0x02), rtpg(a));
    }

    @Test
    void aPortOfNoConfiguredGroupIsInThisGatewaysGroup() {
        assertEquals(512, b.daemon.register("loopback", "host 5", 512));
        cluster.beat();
        assertEquals(List.of(2, 512), b.daemon.portGroups(Harness.TARGET).stream().filter(g -> g.id() == 2)
                .findFirst().orElseThrow().ports());
        assertEquals(ItNexusRspEvent.RESULT_OK,
                b.login(Harness.INITIATOR + ",i,0x23d000000009", Harness.TARGET, 9, 512));
        b.command(9, 0, Cdbs.reportLuns(0, 64), DataDirection.READ, 64, null).assertGood();
        Harness.Result r = b.command(9, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null);
        if (r.status() == 2 && r.senseData().key() == SenseKey.UNIT_ATTENTION) {
            r = b.command(9, 0, Cdbs.testUnitReady(), DataDirection.NONE, 0, null);
        }
        r.assertSense(SenseKey.NOT_READY, 0x04, 0x0B);   // gateway 2 does not own the image: standby there too
    }

    @Test
    void removingTheLunStopsFollowingTheStore() {
        cluster.beat();
        a.daemon.removeLun(Harness.TARGET, 0);
        assertEquals(null, cluster.stores[1].listener);
        assertTrue(a.daemon.portGroups(Harness.TARGET).stream().anyMatch(g -> g.id() == 1));
    }
}
