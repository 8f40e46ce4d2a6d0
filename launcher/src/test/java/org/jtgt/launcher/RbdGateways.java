package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jtgt.testkit.CephCluster;

/**
 * The gateway cluster the rbd ITs start: launcher N on 127.0.0.(N + 1) exports the RBD image
 * {@code POOL/IMAGE} as LUN 0 of {@link #TARGET} with {@code gateway=N} (its portal group tag N,
 * FC relative port 256 + N), every gateway with the same {@code portgroup} lines (group 1 ports 1
 * and 257, group 2 ports 2 and 258).
 */
final class RbdGateways {
    static final String TARGET = "iqn.2026-12.org.jtgt:gateways";
    static final String POOL = "jtgt";

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
        return new Gateway(l, host, Integer.parseInt(m.group(1)));
    }
}
