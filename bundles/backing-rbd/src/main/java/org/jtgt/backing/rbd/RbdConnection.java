package org.jtgt.backing.rbd;

import java.io.IOException;

import com.sun.jna.Memory;

import org.jtgt.backing.rbd.RbdNative.Rados;

/**
 * How a store reaches its cluster: the configuration file, the keyring and the client id, with
 * bounded timeouts, so that a cluster that is missing or down gives an error, not a hang.
 *
 * @param conf {@code ceph.conf} path, or null for librados' default search
 * @param keyring keyring path, or null for what the configuration names
 * @param clientId the client's id without {@code client.} ({@code admin})
 * @param timeoutSeconds the bound on connecting and on each monitor and OSD operation
 * @param slots operations in flight at most
 */
record RbdConnection(String conf, String keyring, String clientId, int timeoutSeconds, int slots) {
    static final int DEFAULT_TIMEOUT_SECONDS = 30;

    /** A connected {@code rados_t}; the caller shuts it down. */
    long connect() throws IOException {
        long cluster;
        try (Memory out = new Memory(8)) {
            int r = Rados.rados_create2(out, "ceph", "client." + clientId, 0);
            if (r < 0) {
                throw new IOException("rados_create2(client." + clientId + "): " + RbdErrors.describe(r));
            }
            cluster = out.getLong(0);
        }
        boolean ok = false;
        try {
            if (conf != null) {
                int r = Rados.rados_conf_read_file(cluster, conf);
                if (r < 0) {
                    throw new IOException("cannot read Ceph configuration " + conf + ": " + RbdErrors.describe(r));
                }
            } else {
                Rados.rados_conf_read_file(cluster, null);   // librados' default search; none is fine
            }
            if (keyring != null) {
                set(cluster, "keyring", keyring);
            }
            String t = Integer.toString(timeoutSeconds);
            set(cluster, "client_mount_timeout", t);
            set(cluster, "rados_mon_op_timeout", t);
            set(cluster, "rados_osd_op_timeout", t);
            set(cluster, "rbd_cache", "false");
            int r = Rados.rados_connect(cluster);
            if (r < 0) {
                throw new IOException("cannot connect to the Ceph cluster" + (conf == null ? "" : " of " + conf)
                        + " as client." + clientId + " within " + timeoutSeconds + " s: " + RbdErrors.describe(r));
            }
            ok = true;
            return cluster;
        } finally {
            if (!ok) {
                Rados.rados_shutdown(cluster);
            }
        }
    }

    private static void set(long cluster, String option, String value) throws IOException {
        int r = Rados.rados_conf_set(cluster, option, value);
        if (r < 0) {
            throw new IOException("rados_conf_set(" + option + "=" + value + "): " + RbdErrors.describe(r));
        }
    }
}
