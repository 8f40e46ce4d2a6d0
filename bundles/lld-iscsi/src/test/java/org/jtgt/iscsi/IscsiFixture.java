package org.jtgt.iscsi;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.jtgt.api.target.ChapAccounts;
import org.jtgt.daemon.TargetDaemon;
import org.jtgt.host.HostSide;
import org.jtgt.host.TargetPath;
import org.jtgt.transport.direct.DirectTransport;
import org.jtgt.transport.shm.ShmTransport;

/**
 * The whole path without a framework, wired by hand as DS would: {@link IscsiTarget} listening
 * on 127.0.0.1:0 → host side → shm transport (or the direct one, {@link #direct}) → target daemon
 * → memory store.
 */
final class IscsiFixture implements AutoCloseable {
    static final String TARGET = "iqn.2026-11.org.jtgt:iscsi-test";
    static final int BLOCK = 512;

    final TargetPath path;
    final TargetDaemon daemon;
    final HostSide hostSide;
    /** The shm transport; null for a fixture built with {@link #direct}. */
    final ShmTransport transport;
    /** The in-process transport of a fixture built with {@link #direct}; else null. */
    final DirectTransport directTransport;
    final IscsiTarget iscsi = new IscsiTarget();
    /** The CHAP account source bound at the start: no account bound to any target. */
    final ChapAccounts accounts = target -> null;
    final int port;

    IscsiFixture(long lunBytes) throws Exception {
        this(lunBytes, Map.of());
    }

    /** @param overrides configuration values by attribute name (e.g. {@code chapUser}) */
    IscsiFixture(long lunBytes, Map<String, Object> overrides) throws Exception {
        this(lunBytes, overrides, false);
    }

    /** A fixture whose host side runs the daemon through the in-process transport, as the embedded default does. */
    static IscsiFixture direct(long lunBytes) throws Exception {
        return new IscsiFixture(lunBytes, Map.of(), true);
    }

    private IscsiFixture(long lunBytes, Map<String, Object> overrides, boolean direct) throws Exception {
        TargetPath.Builder b = TargetPath.builder(TARGET).lun(lunBytes, BLOCK).commandsPerHost(256)
                .maxDataLength(8 << 20).stagingAreaSize(16 << 20);
        path = direct ? b.preferredTransport("direct").build() : b.shm("iscsi", 64L << 20).build();
        daemon = path.daemon();
        hostSide = path.hostSide();
        if (direct) {
            transport = null;
            directTransport = new DirectTransport();
            directTransport.open(256, 64L << 20);
            directTransport.attachDaemon(daemon);
            path.bind(directTransport, "direct", 0);
        } else {
            transport = path.transport();
            directTransport = null;
        }
        iscsi.hostService = hostSide;
        iscsi.catalog = daemon;
        iscsi.targetPorts = daemon;
        // As with the admin bundle running and no account bound: the configured CHAP applies.
        iscsi.bindChapAccounts(accounts);
        iscsi.isnsPollMillis = 200;   // an iSNS registration (where configured) follows changes quickly
        Map<String, Object> values = new HashMap<>();
        values.put("portals", "127.0.0.1:0");
        values.putAll(overrides);
        iscsi.start(config(values), null);
        port = iscsi.boundPorts().get(0);
    }

    String url() {
        return "iscsi://127.0.0.1:" + port + "/" + TARGET + "/0";
    }

    static IscsiTarget.Config config(Map<String, Object> values) {
        return (IscsiTarget.Config) Proxy.newProxyInstance(IscsiTarget.Config.class.getClassLoader(),
                new Class<?>[] {IscsiTarget.Config.class}, (proxy, method, args) -> {
                    if (method.getName().equals("annotationType")) {
                        return IscsiTarget.Config.class;
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

    int openConnections() {
        return iscsi.connections().size();
    }

    List<IscsiConnection> connections() {
        return iscsi.connections();
    }

    @Override
    public void close() throws IOException {
        try {
            iscsi.stop();
        } finally {
            try {
                if (directTransport != null) {
                    path.unbind(directTransport);
                    directTransport.deactivate();
                }
            } finally {
                path.close();
            }
        }
    }
}
