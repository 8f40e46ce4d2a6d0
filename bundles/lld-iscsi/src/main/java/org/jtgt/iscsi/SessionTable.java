package org.jtgt.iscsi;

import java.util.HashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's sessions by TSIH, and Normal sessions by their key (initiator name, ISID, target
 * name and TPGT: one I_T nexus), which is what session reinstatement (RFC 7143 6.3.5) finds an
 * older session by. With MaxConnections=1 a session is its one {@link IscsiConnection}.
 */
final class SessionTable {
    private static final Logger LOG = LoggerFactory.getLogger(SessionTable.class);

    private final Object lock = new Object();
    private final Map<Integer, IscsiConnection> byTsih = new HashMap<>();
    private final Map<String, IscsiConnection> byKey = new HashMap<>();
    private int nextTsih = 1;

    /**
     * Registers a session that is entering the full feature phase and returns its TSIH (0 if
     * none is free). A session with the same key (initiator, ISID, target) is reinstated: it is
     * closed, and its nexus destroyed, before this returns (RFC 7143 6.3.5).
     *
     * @param key null for a discovery session
     */
    int register(IscsiConnection c, String key) throws InterruptedException {
        if (key != null) {
            IscsiConnection old;
            synchronized (lock) {
                old = byKey.get(key);
            }
            if (old != null && old != c) {
                LOG.info("session reinstatement: {} replaces {}", c, old);
                old.abort("session reinstatement");
                if (!old.awaitFinished(10_000)) {
                    LOG.warn("{} did not finish within 10 s of its reinstatement", old);
                }
            }
        }
        synchronized (lock) {
            for (int i = 0; i < 0xFFFF; i++) {
                int tsih = nextTsih;
                nextTsih = nextTsih == 0xFFFF ? 1 : nextTsih + 1;
                if (!byTsih.containsKey(tsih)) {
                    byTsih.put(tsih, c);
                    if (key != null) {
                        byKey.put(key, c);
                    }
                    return tsih;
                }
            }
        }
        return 0;
    }

    boolean exists(int tsih) {
        synchronized (lock) {
            return byTsih.containsKey(tsih);
        }
    }

    /** The connection has closed: its session (if it registered one) is gone. */
    void remove(IscsiConnection c) {
        synchronized (lock) {
            byTsih.remove(c.tsih(), c);
            if (c.sessionKey() != null) {
                byKey.remove(c.sessionKey(), c);
            }
        }
    }
}
