package org.jtgt.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.jtgt.api.host.TransportControl;
import org.jtgt.api.metrics.DaemonMetrics;
import org.jtgt.api.metrics.NexusMetrics;
import org.jtgt.api.metrics.UnitMetrics;
import org.jtgt.api.target.LunInfo;
import org.jtgt.api.target.SessionInfo;
import org.jtgt.api.target.SessionSource;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.target.TargetInfo;
import org.jtgt.api.transport.Transport;
import org.jtgt.api.transport.DaemonGenerations;
import org.jtgt.api.transport.TransportOccupancy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads a {@link Sample} from the services; those that are absent just leave their part empty. */
final class Collector {
    private static final Logger LOG = LoggerFactory.getLogger(Collector.class);

    private final Supplier<TargetAdmin> admin;
    private final Supplier<DaemonMetrics> daemon;
    private final Supplier<TransportControl> transports;
    private final Supplier<List<SessionSource>> sessionSources;
    private final Supplier<List<Transport>> transportServices;

    Collector(Supplier<TargetAdmin> admin, Supplier<DaemonMetrics> daemon, Supplier<TransportControl> transports,
              Supplier<List<SessionSource>> sessionSources, Supplier<List<Transport>> transportServices) {
        this.transportServices = transportServices;
        this.admin = admin;
        this.daemon = daemon;
        this.transports = transports;
        this.sessionSources = sessionSources;
    }

    Sample collect() {
        long now = System.nanoTime();
        TargetAdmin a = admin.get();
        List<TargetInfo> targets = a == null ? List.of() : a.targets();
        Map<String, LunInfo> lunInfo = new HashMap<>();
        for (TargetInfo t : targets) {
            for (LunInfo l : t.luns()) {
                lunInfo.put(t.name() + "\u0000" + l.lun(), l);
            }
        }
        List<Sample.Lun> luns = new ArrayList<>();
        List<Sample.Session> sessions = new ArrayList<>();
        DaemonMetrics d = daemon.get();
        if (d != null) {
            for (UnitMetrics u : d.unitMetrics()) {
                luns.add(new Sample.Lun(u, lunInfo.get(u.target() + "\u0000" + u.lun()), u.latency().snapshot()));
            }
            Map<String, SessionInfo> byNexus = new HashMap<>();
            for (SessionSource source : sessionSources.get()) {
                try {
                    for (SessionInfo s : source.sessions()) {
                        byNexus.put(s.hostNo() + ":" + s.nexusId(), s);
                    }
                } catch (RuntimeException e) {
                    LOG.debug("a session source failed; its sessions are left out", e);
                }
            }
            for (NexusMetrics n : d.nexusMetrics()) {
                sessions.add(new Sample.Session(n, byNexus.get(n.hostNo() + ":" + n.nexusId())));
            }
        }
        List<Sample.Occupancy> occupancy = new ArrayList<>();
        Sample.Generations daemon = null;
        for (Transport t : transportServices.get()) {
            if (t instanceof TransportOccupancy o && o.capacity() > 0) {
                occupancy.add(new Sample.Occupancy(t.name(), o.queuedToDaemon(), o.queuedToHost(), o.capacity()));
            }
            if (t instanceof DaemonGenerations g) {
                daemon = new Sample.Generations(g.generation(), g.daemonsBefore());
            }
        }
        TransportControl tc = transports.get();
        if (tc == null) {
            return new Sample(now, targets, luns, sessions, List.of(), null, null, occupancy, daemon);
        }
        return new Sample(now, targets, luns, sessions, tc.transports(), tc.activeTransport(), tc.swapSummary(), occupancy,
                daemon);
    }
}
