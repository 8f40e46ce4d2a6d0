package org.jtgt.backing.rbd;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;

import org.jtgt.api.target.AccessState;
import org.jtgt.backing.rbd.RbdNative.Rados;
import org.jtgt.backing.rbd.RbdNative.Rbd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gateway's part in a gateway cluster on one image: who owns the image's exclusive lock,
 * heartbeats, moves and takeovers. Runs on its own thread, one step every {@code heartbeat}.
 *
 * <p>The owner holds the lock in librbd's exclusive mode ({@code rbd_lock_acquire}: never handed
 * over on request, so no lock ping-pong; a non-owner's writes fail with EROFS) and writes a
 * heartbeat, {@code "GATEWAY SEQUENCE LOCKER"}, into the xattr {@code owner} of the RADOS object
 * {@code jtgt.gateway.IMAGE} in the image's pool. Every gateway reads it each step, so all agree
 * on the owner within one heartbeat. A move (SET TARGET PORT GROUPS) writes the xattr
 * {@code request}, {@code "GATEWAY NONCE"}: the owner releases the lock and writes owner 0, then
 * the named gateway acquires it. A gateway that sees the heartbeat unchanged for {@code
 * takeover} breaks the lock of the locker the heartbeat names ({@code rbd_lock_break}, which
 * blocklists it: from then on the OSDs refuse it, it acknowledges no write again) and acquires
 * the lock. A gateway whose own RADOS call fails with ESHUTDOWN was blocklisted: it is fenced and
 * stops (its store fails every operation; the gateway must be restarted to rejoin).
 */
final class RbdGateway implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(RbdGateway.class);
    static final String OWNER = "owner";
    static final String REQUEST = "request";

    /**
     * The options: {@code gateway=N}, {@code follower=standby|active/non-optimized}, {@code
     * heartbeat=MS}, {@code takeover=MS}.
     */
    record Config(int gateway, AccessState follower, long heartbeatMs, long takeoverMs) {
        /**
         * The longest a takeover takes, in whole seconds: the takeover time, up to two heartbeats
         * (the one that notices, the new owner's first), and a second for breaking the lock
         * (blocklisting is a monitor command) and acquiring it; at most 255 (one byte in REPORT
         * TARGET PORT GROUPS).
         */
        int transitionSeconds() {
            long ms = takeoverMs + 2 * heartbeatMs;
            return (int) Math.min(255, (ms + 999) / 1000 + 1);
        }
    }

    private final RbdStore store;
    private final Config config;
    private final String object;
    private final Thread thread;
    private final RbdForwarding forwarding;
    private volatile boolean stopping;
    private volatile boolean paused;   // tests: a hung gateway process
    private volatile boolean owns;
    private volatile int owner;
    private volatile boolean fenced;
    private volatile Runnable listener;
    private long sequence;
    private volatile String seen;                // the owner xattr as last read
    private long seenAt;                 // when it last changed (nanoTime)
    private String handled;              // the request last acted on
    private String waitedOn;             // a locker without a heartbeat given one takeover time

    RbdGateway(RbdStore store, String image, Config config) {
        this.store = store;
        this.config = config;
        this.object = "jtgt.gateway." + image;
        this.thread = new Thread(this, "jtgt-rbd-gateway-" + image);
        this.thread.setDaemon(true);
        this.forwarding = new RbdForwarding(store, this, object, notifyTimeout(config));
    }

    /** How long a follower waits for the owner's answer to a forwarded write: a few seconds, below the takeover time. */
    static long notifyTimeout(Config c) {
        return Math.max(500, Math.min(5_000, c.takeoverMs() - c.heartbeatMs()));
    }

    /** The channel of forwarded writes and shared resets on the gateway object. */
    RbdForwarding forwarding() {
        return forwarding;
    }

    /**
     * Takes the lock if nobody holds it (the first gateway up owns), then starts the heartbeat. A
     * held lock is left alone here: its holder may be dead with its watch still there, and
     * acquiring would then wait for the OSD's watch timeout; the heartbeat decides instead.
     */
    void start() {
        forwarding.start();
        seenAt = System.nanoTime();
        seen = read(OWNER);
        List<String> holders = lockers();
        int r = holders.isEmpty() ? Rbd.rbd_lock_acquire(store.imageHandle(), Rbd.LOCK_MODE_EXCLUSIVE) : 0;
        if (holders.isEmpty() && r == 0 && locked()) {
            becameOwner("the lock was free");
        } else {
            owner = parseGateway(seen);
            LOG.info("{}: gateway {} follows (owner {}; the lock held by {}{})", store.describe(), config.gateway(),
                    owner == 0 ? "unknown" : "gateway " + owner, holders.isEmpty() ? lockers() : holders,
                    r == 0 ? "" : "; rbd_lock_acquire: " + RbdErrors.describe(r));
        }
        thread.start();
    }

    Config config() {
        return config;
    }

    int owner() {
        return owner;
    }

    boolean owns() {
        return owns;
    }

    boolean fenced() {
        return fenced;
    }

    /**
     * Whether gateway {@code believed}, the owner when an operation was forwarded to it, may still
     * execute one: not once this gateway sees another owner (or none, or itself), since a takeover
     * blocklisted it and a move or stop released its lock first; nor once the lock is free or held
     * by another client than the one its heartbeat named; nor, when {@code silent} (it did not
     * answer), once that client is on the OSDs' blocklist (a monitor command). A fenced gateway
     * knows nothing current, so for it the owner may.
     */
    boolean mayExecute(int believed, boolean silent) {
        if (fenced) {
            return true;
        }
        if (owner != believed) {
            return false;
        }
        String locker = parseLocker(seen);
        if (locker == null || parseGateway(seen) != believed) {
            return true;
        }
        try (Memory mode = new Memory(4); Memory owners = new Memory(8L * 8); Memory count = new Memory(8)) {
            count.setLong(0, 8);
            owners.clear();
            int r = Rbd.rbd_lock_get_owners(store.imageHandle(), mode, owners, count);
            if (r == -RbdNative.ENOENT) {
                return false;   // nobody holds it
            }
            if (r < 0) {
                return true;    // unknown
            }
            long n = count.getLong(0);
            boolean held = false;
            for (int i = 0; i < n; i++) {
                held |= locker.equals(owners.getPointer(8L * i).getString(0));
            }
            Rbd.rbd_lock_get_owners_cleanup(owners, n);
            return held && !(silent && blocklisted(locker));
        }
    }

    /** Whether the client at {@code address} is on the OSDs' blocklist; false if that cannot be read. */
    boolean blocklisted(String address) {
        String cmd = "{\"prefix\": \"osd blocklist ls\", \"format\": \"json\"}";
        try (StringArray argv = new StringArray(new String[] {cmd}); Memory out = new Memory(8);
             Memory outLength = new Memory(8); Memory status = new Memory(8); Memory statusLength = new Memory(8)) {
            out.setLong(0, 0);
            status.setLong(0, 0);
            int r = Rados.rados_mon_command(store.clusterHandle(), argv, 1, null, 0, out, outLength, status,
                    statusLength);
            String list = null;
            long o = out.getLong(0);
            if (o != 0) {
                list = new String(new Pointer(o).getByteArray(0, (int) outLength.getLong(0)), StandardCharsets.UTF_8);
                Rados.rados_buffer_free(o);
            }
            if (status.getLong(0) != 0) {
                Rados.rados_buffer_free(status.getLong(0));
            }
            if (r < 0 || list == null) {
                LOG.debug("{}: osd blocklist ls: {}", store.describe(), RbdErrors.describe(r));
                return false;
            }
            for (int at = list.indexOf(address + "\""); at >= 0; at = list.indexOf(address + "\"", at + 1)) {
                char before = at == 0 ? '"' : list.charAt(at - 1);
                if (before == '"' || before == ':') {
                    return true;
                }
            }
            return false;
        }
    }

    void listener(Runnable l) {
        this.listener = l;
    }

    /** Tests: stops (true) or resumes heartbeats and every other step, as a hung process would. */
    void pause(boolean p) {
        paused = p;
    }

    void requestOwnership(int gateway) {
        String value = gateway + " " + Long.toHexString(System.nanoTime() ^ ((long) config.gateway() << 48));
        int r = write(REQUEST, value);
        if (r < 0) {
            LOG.warn("{}: cannot ask for gateway {} to own the image: {}", store.describe(), gateway,
                    RbdErrors.describe(r));
        } else {
            LOG.info("{}: gateway {} asks for gateway {} to own the image", store.describe(), config.gateway(), gateway);
        }
    }

    /** Stops the thread; an owner releases the lock and says so, so that another takes over at once. */
    void stop() {
        stopping = true;
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(RbdConnection.DEFAULT_TIMEOUT_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (owns && !fenced) {
            release("this gateway stops");
        }
    }

    @Override
    public void run() {
        while (!stopping) {
            try {
                Thread.sleep(config.heartbeatMs());
            } catch (InterruptedException e) {
                if (stopping) {
                    return;
                }
            }
            if (paused || stopping) {
                continue;
            }
            try {
                step();
            } catch (RuntimeException e) {
                LOG.warn("{}: gateway step failed", store.describe(), e);
            }
            Runnable l = listener;
            if (l != null) {
                try {
                    l.run();
                } catch (RuntimeException e) {
                    LOG.warn("{}: ownership listener failed", store.describe(), e);
                }
            }
            if (fenced) {
                return;
            }
        }
    }

    /** One heartbeat. */
    void step() {
        forwarding.check();
        if (owns) {
            String request = read(REQUEST);
            int to = parseGateway(request);
            if (request != null && !request.equals(handled) && to != 0 && to != config.gateway()) {
                handled = request;
                release("gateway " + to + " was asked for");
                return;
            }
            handled = request;
            heartbeat();
            return;
        }
        String now = read(OWNER);
        if (fenced) {
            return;
        }
        long t = System.nanoTime();
        if (now == null ? seen != null : !now.equals(seen)) {
            seen = now;
            seenAt = t;
            waitedOn = null;
        }
        int current = parseGateway(now);
        boolean stale = t - seenAt >= TimeUnit.MILLISECONDS.toNanos(config.takeoverMs());
        String request = read(REQUEST);
        boolean askedFor = request != null && !request.equals(handled) && parseGateway(request) == config.gateway();
        if (stale || (current == 0 && askedFor)) {
            if (askedFor) {
                handled = request;
            }
            take(stale ? now : null);
            return;
        }
        owner = stale ? 0 : current;
    }

    /** Acquires the lock, first breaking {@code staleOwner}'s (its heartbeat value) if it still holds it. */
    private void take(String staleOwner) {
        long image = store.imageHandle();
        String locker = parseLocker(staleOwner);
        List<String> lockers = lockers();
        if (!lockers.isEmpty()) {
            if (locker == null || !lockers.contains(locker)) {
                if (!lockers.get(0).equals(waitedOn)) {
                    // a newer owner holds it and has not written its heartbeat yet: give it a takeover time
                    LOG.info("{}: gateway {}: the lock is held by {}, not by the owner the heartbeat names; waiting",
                            store.describe(), config.gateway(), lockers);
                    waitedOn = lockers.get(0);
                    seenAt = System.nanoTime();
                    return;
                }
                // it never wrote a heartbeat (a gateway that died at once, or another client of the image)
                locker = waitedOn;
                staleOwner = "? 0 " + locker;
            }
            int silent = parseGateway(staleOwner);
            LOG.warn("{}: gateway {}: no heartbeat from {} for {} ms: breaking its lock ({}), which blocklists it",
                    store.describe(), config.gateway(), silent > 0 ? "gateway " + silent : "the lock's holder",
                    config.takeoverMs(), locker);
            int r = Rbd.rbd_lock_break(image, Rbd.LOCK_MODE_EXCLUSIVE, locker);
            if (r < 0 && r != -RbdNative.ENOENT) {
                LOG.warn("{}: rbd_lock_break({}): {}", store.describe(), locker, RbdErrors.describe(r));
                checkFenced(r);
                return;
            }
        }
        int r = Rbd.rbd_lock_acquire(image, Rbd.LOCK_MODE_EXCLUSIVE);
        if (r == 0 && locked()) {
            becameOwner(staleOwner != null ? "took over from a silent owner" : "asked for");
        } else {
            LOG.info("{}: gateway {} did not get the lock: {}", store.describe(), config.gateway(),
                    r == 0 ? "not owner" : RbdErrors.describe(r));
            checkFenced(r);
            seenAt = System.nanoTime();
        }
    }

    private void becameOwner(String why) {
        handled = read(REQUEST);   // a request made before this gateway owned the image is done with
        owns = true;
        owner = config.gateway();
        heartbeat();
        LOG.info("{}: gateway {} owns the image ({})", store.describe(), config.gateway(), why);
    }

    private void heartbeat() {
        List<String> l = lockers();
        String me = l.size() == 1 ? l.get(0) : "-";
        int r = write(OWNER, config.gateway() + " " + (++sequence) + " " + me);
        if (r < 0) {
            LOG.warn("{}: gateway {}: heartbeat: {}", store.describe(), config.gateway(), RbdErrors.describe(r));
            checkFenced(r);
        } else if (!locked()) {
            // the lock went without a blocklisting: not expected; serve nothing as owner
            LOG.warn("{}: gateway {} lost the lock", store.describe(), config.gateway());
            owns = false;
            owner = 0;
        }
    }

    private void release(String why) {
        // first no longer the owner for forwarded operations; rbd_lock_release waits for those in flight
        forwarding.stopExecuting(() -> {
            owns = false;
            owner = 0;
        });
        int r = Rbd.rbd_lock_release(store.imageHandle());
        if (r < 0) {
            LOG.warn("{}: rbd_lock_release: {}", store.describe(), RbdErrors.describe(r));
            checkFenced(r);
            return;
        }
        write(OWNER, "0 " + (++sequence) + " -");
        LOG.info("{}: gateway {} released the image ({})", store.describe(), config.gateway(), why);
    }

    private void checkFenced(int r) {
        if (r == -RbdNative.ESHUTDOWN && !fenced) {
            fenced = true;
            owns = false;
            owner = 0;
            LOG.error("{}: gateway {} is fenced (blocklisted by another gateway): it serves nothing until restarted",
                    store.describe(), config.gateway());
        }
    }

    private boolean locked() {
        try (Memory m = new Memory(4)) {
            m.setInt(0, 0);
            int r = Rbd.rbd_is_exclusive_lock_owner(store.imageHandle(), m);
            checkFenced(r);
            return r == 0 && m.getInt(0) == 1;
        }
    }

    /** The lock's holders' addresses as librbd names them (what {@code rbd_lock_break} takes). */
    List<String> lockers() {
        List<String> out = new ArrayList<>(1);
        int max = 8;
        try (Memory mode = new Memory(4); Memory owners = new Memory(8L * max); Memory count = new Memory(8)) {
            count.setLong(0, max);
            owners.clear();
            int r = Rbd.rbd_lock_get_owners(store.imageHandle(), mode, owners, count);
            if (r < 0) {
                checkFenced(r);
                return out;
            }
            long n = count.getLong(0);
            for (int i = 0; i < n; i++) {
                out.add(owners.getPointer(8L * i).getString(0));
            }
            Rbd.rbd_lock_get_owners_cleanup(owners, n);
        }
        return out;
    }

    private String read(String name) {
        byte[] b = new byte[256];
        int r = Rados.rados_getxattr(store.ioctxHandle(), object, name, b, b.length);
        if (r < 0) {
            checkFenced(r);
            return null;
        }
        return new String(b, 0, r, StandardCharsets.US_ASCII);
    }

    private int write(String name, String value) {
        byte[] b = value.getBytes(StandardCharsets.US_ASCII);
        return Rados.rados_setxattr(store.ioctxHandle(), object, name, b, b.length);
    }

    /** The gateway number a heartbeat or request starts with; 0 for none. */
    static int parseGateway(String value) {
        if (value == null) {
            return 0;
        }
        int sp = value.indexOf(' ');
        try {
            return Integer.parseInt(sp < 0 ? value : value.substring(0, sp));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The locker a heartbeat names, or null. */
    static String parseLocker(String value) {
        if (value == null) {
            return null;
        }
        String[] f = value.split(" ");
        return f.length >= 3 && !f[2].equals("-") ? f[2] : null;
    }
}
