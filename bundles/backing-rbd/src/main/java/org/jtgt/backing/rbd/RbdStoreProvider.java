package org.jtgt.backing.rbd;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.jtgt.api.store.BackingStore;
import org.jtgt.api.store.BackingStoreProvider;
import org.jtgt.api.store.StorePlan;
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
 * <li>{@code id=NAME}: the client id, without {@code client.} (default {@code admin}).</li>
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
    private static final Set<String> OPTIONS = Set.of(OPTION_CONF, OPTION_KEYRING, OPTION_ID);
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
        RbdStore s = RbdStore.open(connection(o), pi[0], pi[1]);
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
