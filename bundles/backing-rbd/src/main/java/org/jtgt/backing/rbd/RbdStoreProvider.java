package org.jtgt.backing.rbd;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.jtgt.api.store.BackingStore;
import org.jtgt.api.store.BackingStoreProvider;
import org.jtgt.api.store.StorePlan;
import org.jtgt.api.target.AccessState;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens {@link RbdStore}s on existing RBD images: {@code --bstype rbd -b POOL/IMAGE}. The image's
 * own size is the LUN's ({@code --size}, if given, must equal it; images are made and resized
 * with Ceph's tools). Store options, on a {@code targets.conf} line or in jtgtadm's
 * {@code --params}:
 * <ul>
 * <li>{@code conf=PATH}: the cluster's {@code ceph.conf} (default: librados' search,
 * {@code $CEPH_CONF}, {@code /etc/ceph/ceph.conf}, ...);</li>
 * <li>{@code keyring=PATH}: the client's keyring (default: what the configuration says);</li>
 * <li>{@code id=NAME}: the client id, without {@code client.} (default {@code admin});</li>
 * <li>{@code gateway=N} (1..65535): this process is gateway N of a gateway cluster on the image,
 * N being its target port group ({@link RbdGateway}); {@code follower=standby|active/non-optimized}
 * (default standby): the state of the groups of gateways that do not own the image (an
 * active/non-optimized gateway forwards its writes to the owner, {@link RbdForwarding});
 * {@code heartbeat=MS} (100..60000, default 1000) and {@code takeover=MS} (at least three
 * heartbeats, default 10000): a gateway takes over when the owner's heartbeat stayed unchanged
 * that long.</li>
 * </ul>
 * Connecting, and every monitor and OSD operation, is bounded by 30 s: a missing cluster is an
 * error when the LUN is made, not a hang. Without librbd (a machine without Ceph) the provider
 * is still registered and refuses every store with the reason.
 */
@Component(service = BackingStoreProvider.class, property = BackingStoreProvider.TYPE_PROPERTY + "=rbd")
public class RbdStoreProvider implements BackingStoreProvider {
    public static final String OPTION_CONF = "conf";
    public static final String OPTION_KEYRING = "keyring";
    public static final String OPTION_ID = "id";
    public static final String OPTION_GATEWAY = "gateway";
    public static final String OPTION_FOLLOWER = "follower";
    public static final String OPTION_HEARTBEAT = "heartbeat";
    public static final String OPTION_TAKEOVER = "takeover";
    static final long DEFAULT_HEARTBEAT_MS = 1000;
    static final long DEFAULT_TAKEOVER_MS = 10_000;
    private static final Set<String> OPTIONS = Set.of(OPTION_CONF, OPTION_KEYRING, OPTION_ID, OPTION_GATEWAY,
            OPTION_FOLLOWER, OPTION_HEARTBEAT, OPTION_TAKEOVER);
    private static final Logger LOG = LoggerFactory.getLogger(RbdStoreProvider.class);

    @Activate
    void activate() {
        String why = Librbd.unavailableReason();
        if (why == null) {
            LOG.debug("rbd backing store provider active");
        } else {
            LOG.info("rbd stores unavailable: {}", why);
        }
    }

    @Override
    public String type() {
        return "rbd";
    }

    @Override
    public boolean thinByDefault() {
        return true;   // RBD images allocate objects as they are written
    }

    @Override
    public Set<String> optionKeys() {
        return OPTIONS;
    }

    @Override
    public String optionValues(String key) {
        switch (key) {
            case OPTION_CONF:
            case OPTION_KEYRING:
                return "PATH";
            case OPTION_ID:
                return "NAME";
            case OPTION_GATEWAY:
                return "1..65535";
            case OPTION_FOLLOWER:
                return "standby|active/non-optimized";
            case OPTION_HEARTBEAT:
            case OPTION_TAKEOVER:
                return "MILLISECONDS";
            default:
                return BackingStoreProvider.super.optionValues(key);
        }
    }

    @Override
    public void checkOptions(Map<String, String> storeOptions) {
        BackingStoreProvider.super.checkOptions(storeOptions);
        for (String key : new String[] {OPTION_CONF, OPTION_KEYRING}) {
            String v = storeOptions.get(key);
            if (v != null && (v.isEmpty() || !v.startsWith("/") || v.chars().anyMatch(Character::isWhitespace))) {
                throw new IllegalArgumentException(key + "=" + v + ": use " + key + "=PATH, an absolute path without"
                        + " white space");
            }
        }
        String id = storeOptions.get(OPTION_ID);
        if (id != null && !id.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException(OPTION_ID + "=" + id + ": use " + OPTION_ID + "=NAME, the client id"
                    + " without 'client.' (letters, digits, '_', '-', '.')");
        }
        gatewayConfig(storeOptions);
    }

    /** The gateway cluster options, or null without {@code gateway=N}; bad values throw IllegalArgumentException. */
    static RbdGateway.Config gatewayConfig(Map<String, String> o) {
        String g = o.get(OPTION_GATEWAY);
        for (String k : new String[] {OPTION_FOLLOWER, OPTION_HEARTBEAT, OPTION_TAKEOVER}) {
            if (g == null && o.containsKey(k)) {
                throw new IllegalArgumentException(k + "=" + o.get(k) + " needs gateway=N");
            }
        }
        if (g == null) {
            return null;
        }
        int gateway = (int) number(o, OPTION_GATEWAY, 0, 1, 65535);
        AccessState follower = AccessState.STANDBY;
        String f = o.get(OPTION_FOLLOWER);
        if (f != null) {
            try {
                follower = AccessState.parse(f);
            } catch (IllegalArgumentException e) {
                follower = null;
            }
            if (follower != AccessState.STANDBY && follower != AccessState.ACTIVE_NON_OPTIMIZED) {
                throw new IllegalArgumentException(OPTION_FOLLOWER + "=" + f + ": use " + OPTION_FOLLOWER
                        + "=standby or active/non-optimized");
            }
        }
        long heartbeat = number(o, OPTION_HEARTBEAT, DEFAULT_HEARTBEAT_MS, 100, 60_000);
        long takeover = number(o, OPTION_TAKEOVER, Math.max(DEFAULT_TAKEOVER_MS, 3 * heartbeat), 3 * heartbeat,
                3_600_000);
        return new RbdGateway.Config(gateway, follower, heartbeat, takeover);
    }

    private static long number(Map<String, String> o, String key, long dflt, long min, long max) {
        String v = o.get(key);
        if (v == null) {
            return dflt;
        }
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            n = Long.MIN_VALUE;
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(key + "=" + v + ": use " + key + "=" + min + ".." + max);
        }
        return n;
    }

    /**
     * {@code -b POOL/IMAGE}: the image must exist (it is opened here to read its size, so a
     * missing cluster, pool or image is refused now with the reason).
     */
    @Override
    public StorePlan plan(String path, Long size, boolean readOnly, Map<String, String> storeOptions)
            throws IOException {
        checkOptions(storeOptions);
        String[] pi = poolAndImage(path);
        requireLibrbd(path);
        long bytes;
        try (RbdStore s = RbdStore.open(connection(storeOptions), pi[0], pi[1])) {
            bytes = s.size();
        }
        if (size != null && size != bytes) {
            throw new IOException("rbd " + path + " has " + bytes + " bytes, not " + size
                    + " (resize the image with rbd resize; jtgt does not)");
        }
        return new StorePlan(pi[0] + "/" + pi[1], bytes, storeOptions, false, storeOptions);
    }

    @Override
    public StorePlan plan(String path, Long size, boolean readOnly) throws IOException {
        return plan(path, size, readOnly, Map.of());
    }

    @Override
    public BackingStore open(String path, long size, Map<String, String> options) throws IOException {
        Map<String, String> o = new HashMap<>(options);
        o.keySet().retainAll(OPTIONS);
        checkOptions(o);
        String[] pi = poolAndImage(path);
        requireLibrbd(path);
        RbdStore s = RbdStore.open(connection(o), pi[0], pi[1], gatewayConfig(o));
        if (size != 0 && size != s.size()) {
            long has = s.size();
            s.close();
            throw new IOException("rbd " + path + " has " + has + " bytes, not " + size
                    + " (it was resized outside jtgt; make the LUN again)");
        }
        LOG.debug("opened {} ({} bytes, objects of {} bytes)", s.describe(), s.size(), s.objectSize());
        return s;
    }

    /** Before anything touches {@link RbdStore} (whose class needs JNA): the reason librbd cannot be used. */
    private static void requireLibrbd(String path) throws IOException {
        String why = Librbd.unavailableReason();
        if (why != null) {
            throw new IOException("rbd " + path + ": " + why);
        }
    }

    static RbdConnection connection(Map<String, String> o) {
        return new RbdConnection(o.get(OPTION_CONF), o.get(OPTION_KEYRING), o.getOrDefault(OPTION_ID, "admin"),
                RbdConnection.DEFAULT_TIMEOUT_SECONDS, RbdStore.DEFAULT_SLOTS);
    }

    /** {@code POOL/IMAGE}, both non-empty, no white space, no further '/' or '@' (namespaces and snapshots are not served). */
    static String[] poolAndImage(String path) throws IOException {
        if (path == null || path.isEmpty()) {
            throw new IOException("an rbd LUN needs -b POOL/IMAGE");
        }
        int slash = path.indexOf('/');
        if (slash <= 0 || slash == path.length() - 1 || path.indexOf('/', slash + 1) >= 0 || path.indexOf('@') >= 0
                || path.chars().anyMatch(Character::isWhitespace)) {
            throw new IOException("rbd image '" + path + "': use POOL/IMAGE (no namespace, snapshot or white space)");
        }
        return new String[] {path.substring(0, slash), path.substring(slash + 1)};
    }
}
