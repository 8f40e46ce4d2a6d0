package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jtgt.testkit.CephCluster;

/**
 * The gateway cluster the rbd ITs start: launcher N on 127.0.0.(N + 1) exports the RBD image
 * {@code POOL/IMAGE} as LUN 0 of {@link #TARGET} with {@code gateway=N} (its portal group tag N,
 * FC relative port 256 + N), every gateway with the same {@code portgroup} lines (group 1 ports 1
 * and 257, group 2 ports 2 and 258); and the reading of their port groups the ITs compare.
 */
final class RbdGateways {
    static final String TARGET = "iqn.2026-12.org.jtgt:gateways";
    static final String POOL = "jtgt";
    private static final byte[] RTPG = {(byte) 0xA3, 0x2A, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};

    /** One started gateway: its launcher and its iSCSI portal. */
    record Gateway(LauncherProcess launcher, String host, int port) {
        String url() {
            return "iscsi://" + host + ":" + port + "/" + TARGET + "/0";
        }
    }

    private RbdGateways() {
    }

    /**
     * Starts gateway {@code n} in {@code work/gatewayN} on {@code image} of {@code size} bytes
     * (512-byte blocks); {@code lunOptions} are added to the rbd LUN's line (heartbeat, follower...),
     * {@code jvmOptions} to the launcher's.
     */
    static Gateway start(Processes processes, Path work, CephCluster ceph, String image, long size, int n,
            String lunOptions, List<String> jvmOptions) throws Exception {
        Path config = work.resolve("gateway" + n);
        Files.createDirectories(config.resolve("etc"));
        Files.writeString(config.resolve("etc").resolve("org.jtgt.iscsi.cfg"), "portalGroupTag = " + n + "\n");
        // every gateway's ports distinct: FC's relative port too (the loopback driver's 512 is local)
        Files.writeString(config.resolve("etc").resolve("org.jtgt.fc.cfg"), "relativePortId = " + (256 + n) + "\n");
        Files.writeString(config.resolve("targets.conf"), "target 1 " + TARGET + "\n"
                + "lun 1 0 rbd " + POOL + "/" + image + " size=" + size + " blocksize=512 conf=" + ceph.conf()
                + " keyring=" + ceph.adminKeyring() + " id=" + ceph.clientId() + " gateway=" + n + " " + lunOptions
                + "\n"
                + "portgroup 1 1 ports=1,257 state=active/optimized\n"
                + "portgroup 1 2 ports=2,258 state=active/non-optimized\n");
        String host = "127.0.0." + (n + 1);
        List<String> jvm = new ArrayList<>(List.of("-Djtgt.default.target.enabled=false"));
        jvm.addAll(jvmOptions);
        LauncherProcess l = LauncherProcess.start(jvm, "--config", config.toString(), "--portal", host + ":0");
        processes.add(l.process);
        l.output.await(LauncherProcess.STARTED, 120);
        Pattern portal = Pattern.compile("iSCSI portal listening on " + Pattern.quote(host) + ":(\\d+), TPGT " + n
                + ",");
        Matcher m = portal.matcher(l.output.await(portal, 60));
        assertTrue(m.find());
        // the rbd LUN is added once its store has connected to the cluster, which may be after the portal
        l.output.await(Pattern.compile("Target " + Pattern.quote(TARGET) + " LUN 0: "), 60);
        return new Gateway(l, host, Integer.parseInt(m.group(1)));
    }

    /**
     * REPORT TARGET PORT GROUPS (extended header) through a new session of {@code initiator} as
     * "GROUP=STATE[PORTS] ...", the loopback driver's port 512 (local to each machine, in the
     * gateway's own group) left out.
     */
    static String rtpg(Gateway g, String initiator) throws Exception {
        try (IscsiProbe p = IscsiProbe.login(g.host(), g.port(), initiator, TARGET, 1)) {
            IscsiProbe.Result r = p.read(RTPG, 256);
            for (int i = 0; i < 3 && r.status() != 0; i++) {
                r = p.read(RTPG, 256);   // unit attentions of a new nexus
            }
            assertEquals(0, r.status(), r.toString());
            byte[] d = r.data();
            assertEquals(0x10, d[4], "FORMAT TYPE 001b");
            StringBuilder out = new StringBuilder();
            int at = 8;
            while (at < d.length) {
                int state = d[at] & 0x0F;
                int group = (d[at + 2] & 0xFF) << 8 | d[at + 3] & 0xFF;
                int count = d[at + 7] & 0xFF;
                List<Integer> ports = new ArrayList<>();
                for (int k = 0; k < count; k++) {
                    int q = at + 8 + 4 * k;
                    int port = (d[q + 2] & 0xFF) << 8 | d[q + 3] & 0xFF;
                    if (port != 512) {
                        ports.add(port);
                    }
                }
                at += 8 + 4 * count;
                if (!ports.isEmpty()) {
                    out.append(out.length() == 0 ? "" : " ").append(group).append('=').append(state).append(ports);
                }
            }
            return out.toString();
        }
    }

    /** Group 1 (ports 1, 257) and group 2 (ports 2, 258) in these states. */
    static String groups(int state1, int state2) {
        return "1=" + state1 + "[1, 257] 2=" + state2 + "[2, 258]";
    }

    /** Polls {@link #rtpg} until it reads {@code expected}; the milliseconds that took, or fails after {@code ms}. */
    static long awaitGroups(Gateway g, String initiator, String expected, long ms) throws Exception {
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(ms);
        String last = null;
        while (System.nanoTime() < deadline) {
            last = rtpg(g, initiator);
            if (expected.equals(last)) {
                return (System.nanoTime() - t0) / 1_000_000;
            }
            Thread.sleep(200);
        }
        assertEquals(expected, last, "port groups through " + g.host() + " within " + ms + " ms");
        return -1;
    }
}
