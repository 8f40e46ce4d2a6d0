package org.jtgt.iscsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The driver's iSNS registration against open-isns (Debian's {@code isnsd}) on loopback, checked
 * with {@code isnsadm}: targets and portals appear, a target created or deleted while running
 * appears or disappears, and stopping the driver deregisters the entity.
 */
class IsnsInteropTest {
    private static final String ENTITY = "jtgt-isns-interop";
    private static final String OTHER = "iqn.2026-11.org.jtgt:isns-added";
    private static final long WAIT_MILLIS = 15_000;

    private Path dir;
    private Process isnsd;
    private Path isnsdLog;
    private int isnsPort;
    private ExternalTool tool;
    private Path admConf;

    @BeforeEach
    void startIsnsd() throws Exception {
        ExternalTool.require("isnsd", "open-isns-server");
        ExternalTool.require("isnsadm", "open-isns-utils");
        dir = Path.of("target", "isns-" + UUID.randomUUID()).toAbsolutePath();
        Files.createDirectories(dir.resolve("db"));
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            isnsPort = probe.getLocalPort();
        }
        Path conf = dir.resolve("isnsd.conf");
        Files.writeString(conf, String.join("\n",
                "SourceName = iqn.2026-11.org.jtgt:isns-server",
                "Database = " + dir.resolve("db"),
                "PIDFile = " + dir.resolve("isnsd.pid"),
                "ControlSocket = " + dir.resolve("isnsd.sock"),
                "BindAddress = 127.0.0.1:" + isnsPort,
                "Security = 0",
                "SLPRegister = 0",
                "DefaultDiscoveryDomain = 1",
                "RegistrationPeriod = 4m",
                ""));
        admConf = dir.resolve("isnsadm.conf");
        Files.writeString(admConf, String.join("\n",
                "SourceName = iqn.2026-11.org.jtgt:isns-admin",
                "ServerAddress = 127.0.0.1:" + isnsPort,
                "ControlSocket = " + dir.resolve("isnsd.sock"),
                "Security = 0",
                ""));
        isnsdLog = dir.resolve("isnsd.log");
        ProcessBuilder pb = new ProcessBuilder("isnsd", "--config", conf.toString(), "--foreground")
                .redirectErrorStream(true).redirectOutput(isnsdLog.toFile());
        pb.environment().put("TMPDIR", dir.toString());
        isnsd = pb.start();
        tool = new ExternalTool(dir, Duration.ofSeconds(20));
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), isnsPort), 500);
                break;
            } catch (IOException e) {
                if (!isnsd.isAlive() || System.nanoTime() > deadline) {
                    throw new AssertionError("isnsd did not listen on 127.0.0.1:" + isnsPort + ":\n" + log());
                }
                Thread.sleep(50);
            }
        }
    }

    @AfterEach
    void stopIsnsd() throws Exception {
        if (isnsd != null) {
            isnsd.destroy();
            if (!isnsd.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                isnsd.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void targetsAndPortalsRegisteredUpdatedAndDeregistered() throws Exception {
        IscsiFixture f = new IscsiFixture(1 << 20, Map.of("isnsServer", "127.0.0.1:" + isnsPort,
                "isnsEntityId", ENTITY));
        boolean closed = false;
        try {
            Predicate<String> portal = out -> out.contains("Portal IP address = 127.0.0.1")
                    && out.contains("Portal TCP/UDP port = " + f.port + "/tcp");
            String nodes = awaitList("nodes", node(IscsiFixture.TARGET));
            assertTrue(nodes.contains("iSCSI node type = Target"), nodes);
            awaitList("portals", portal);
            String groups = awaitList("portal-groups", group(IscsiFixture.TARGET));
            assertTrue(groups.contains("Portal group port = " + f.port + "/tcp"), groups);
            assertTrue(groups.contains("Portal group tag = 1"), "TPGT 1:\n" + groups);
            String entities = awaitList("entities", entity());
            assertTrue(entities.contains("Entity protocol = iSCSI"), entities);
            assertEquals(120_000, f.iscsi.isnsRegistration().refreshMillis(),
                    "refreshed at half the server's Registration Period (4 min)");

            f.daemon.createTarget(OTHER);
            awaitList("nodes", node(OTHER).and(node(IscsiFixture.TARGET)));
            awaitList("portal-groups", group(OTHER).and(group(IscsiFixture.TARGET)));

            f.daemon.deleteTarget(OTHER, true);
            awaitList("nodes", node(OTHER).negate().and(node(IscsiFixture.TARGET)));
            awaitList("portal-groups", group(OTHER).negate().and(group(IscsiFixture.TARGET)));
            awaitList("portals", portal);

            f.close();
            closed = true;
            // The driver deregistered on stop: nothing of the entity is left.
            awaitList("entities", entity().negate());
            awaitList("nodes", node(IscsiFixture.TARGET).negate());
            awaitList("portal-groups", group(IscsiFixture.TARGET).negate());
            String left = list("portals");
            assertFalse(portal.test(left), "portal still registered after stop:\n" + left);
        } finally {
            if (!closed) {
                f.close();
            }
        }
    }

    private static Predicate<String> node(String name) {
        return out -> out.contains("iSCSI name = \"" + name + "\"");
    }

    private static Predicate<String> group(String name) {
        return out -> out.contains("Portal group name = \"" + name + "\"");
    }

    private static Predicate<String> entity() {
        return out -> out.contains("Entity identifier = \"" + ENTITY + "\"");
    }

    /** Runs {@code isnsadm --list WHAT} until its output satisfies {@code done}; fails after a while. */
    private String awaitList(String what, Predicate<String> done) throws Exception {
        long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000;
        String out;
        do {
            out = list(what);
            if (done.test(out)) {
                return out;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("isnsadm --list " + what + " did not reach the expected state within "
                + WAIT_MILLIS / 1000 + " s; last output:\n" + out + "\nisnsd log:\n" + log());
    }

    private String list(String what) throws Exception {
        return tool.run("isnsadm", "--config", admConf.toString(), "--server", "127.0.0.1:" + isnsPort, "--list", what);
    }

    private String log() {
        try {
            return Files.readString(isnsdLog, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
