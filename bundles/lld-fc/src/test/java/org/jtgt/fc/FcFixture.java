package org.jtgt.fc;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.jtgt.daemon.TargetDaemon;
import org.jtgt.api.fc.initiator.FcInitiator;
import org.jtgt.host.HostSide;
import org.jtgt.host.TargetPath;
import org.jtgt.transport.shm.ShmTransport;

/**
 * The whole path without a framework, wired by hand as DS would: {@link FcTarget} listening on
 * 127.0.0.1:0 → host side → shm transport → target daemon → memory store.
 */
final class FcFixture implements AutoCloseable {
    static final String TARGET = "iqn.2026-11.org.jtgt:fc-test";
    static final int BLOCK = 512;
    private static final AtomicInteger WWPNS = new AtomicInteger();

    final TargetPath path;
    final TargetDaemon daemon;
    final HostSide hostSide;
    final ShmTransport transport;
    final FcTarget fc = new FcTarget();
    final int port;
    final long lunBytes;

    FcFixture(long lunBytes) throws Exception {
        this(lunBytes, Map.of());
    }

    FcFixture(long lunBytes, Map<String, Object> overrides) throws Exception {
        this.lunBytes = lunBytes;
        path = TargetPath.builder(TARGET).lun(lunBytes, BLOCK).commandsPerHost(256).maxDataLength(8 << 20)
                .stagingAreaSize(16 << 20).shm("fc", 64L << 20).build();
        daemon = path.daemon();
        hostSide = path.hostSide();
        transport = path.transport();
        fc.hostService = hostSide;
        fc.catalog = daemon;
        fc.targetPorts = daemon;
        Map<String, Object> values = new HashMap<>();
        values.put("portal", "127.0.0.1:0");
        values.putAll(overrides);
        fc.start(config(values), null);
        port = fc.boundPort();
    }

    static FcTarget.Config config(Map<String, Object> values) {
        return (FcTarget.Config) Proxy.newProxyInstance(FcTarget.Config.class.getClassLoader(),
                new Class<?>[] {FcTarget.Config.class}, (proxy, method, args) -> {
                    if (method.getName().equals("annotationType")) {
                        return FcTarget.Config.class;
                    }
                    if (values.containsKey(method.getName())) {
                        return values.get(method.getName());
                    }
                    Object d = method.getDefaultValue();
                    if (d == null) {
                        throw new IllegalStateException("no value for " + method.getName());
                    }
                    return d;
                });
    }

    /** A connected initiator with a fresh WWPN, not logged in. */
    FcInitiator connect() throws IOException {
        int n = WWPNS.incrementAndGet();
        FcInitiator i = FcInitiator.connect("127.0.0.1", port, 0x21000024ff000000L + n, 0x20000024ff000000L + n);
        i.timeoutMillis = 10_000;
        return i;
    }

    /** Connected, FLOGI, discovery, PLOGI and PRLI to the target port; unit attentions cleared. */
    FcInitiator login() throws Exception {
        return login(connect());
    }

    /** FLOGI, discovery, PLOGI and PRLI to the target port over a connected initiator; unit attentions cleared. */
    FcInitiator login(FcInitiator i) throws Exception {
        i.flogi();
        List<Integer> targets = i.discoverTargets();
        if (!targets.contains(FcFabric.TARGET_PORT_ID)) {
            throw new AssertionError("name server did not list the target: " + targets);
        }
        if (!i.plogi(FcFabric.TARGET_PORT_ID).accepted() || !i.prli(FcFabric.TARGET_PORT_ID).accepted()) {
            throw new AssertionError("PLOGI/PRLI rejected");
        }
        clearUnitAttention(i);
        return i;
    }

    static void clearUnitAttention(FcInitiator i) throws Exception {
        for (int k = 0; k < 5; k++) {
            if (i.command(FcFabric.TARGET_PORT_ID, 0, new byte[6], null, 0).status() == 0) {
                return;
            }
        }
        throw new AssertionError("TEST UNIT READY does not return GOOD");
    }

    int nexusCount() {
        return daemon.targets().get(0).nexusCount();
    }

    List<FcLink> connections() {
        return fc.connections();
    }

    @Override
    public void close() throws IOException {
        try {
            fc.stop();
        } finally {
            path.close();
        }
    }
}
