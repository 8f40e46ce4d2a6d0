package org.jtgt.daemon;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.jtgt.util.file.OwnerOnlyFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SCSI state of the split shape's daemon process that the next daemon process takes over
 * (a daemon restart is not a power cycle: the target lives on in the front): each logical unit's
 * MODE SELECT values and SPC-2 reservation and each I_T nexus's pending unit attentions, in
 * {@code CONFIG-DIR/}{@value #DIRECTORY}. Persistent reservations have their own files ({@link AptplFile#KEPT_DIRECTORY}).
 *
 * <p>A unit's mode parameters, {@code TARGET-LUN.mode} (the name as {@link AptplFile#fileName}
 * makes it, another extension), written when MODE SELECT changed one and when the soft threshold
 * option resets them; the name and LUN inside must match:
 * <pre>
 * # jtgt mode parameters kept for the next daemon process
 * unit iqn.2026-11.org.jtgt:default 0
 * swp 0
 * d_sense 1
 * wce 0
 * threshold 1 24
 * </pre>
 * ({@code threshold ENABLED COUNT}, the Logical Block Provisioning page's, on thin units only.)
 * The same file holds the unit's SPC-2 reservation while one is held, {@code reserved
 * RELATIVE-PORT INITIATOR-PORT-NAME} (its holder, written on RESERVE, RELEASE, the holder's I_T
 * nexus loss and a reset); the next daemon process lets no other nexus through until the front
 * gives it the holder's nexus again, which then holds it.
 *
 * <p>An I_T nexus's pending unit attentions, {@code nexus-HASH.ua} (HASH: 32 hex digits of the
 * SHA-256 of target name, relative target port and initiator port name: what names the nexus in
 * every daemon process, not the ids of one), written on every change (established, cleared, and a
 * reported one once its command's {@code KEVENT_CMD_DONE} came: until then it stays, first on its
 * LUN's line, so a daemon killed before the front had the answer leaves it to the next) and
 * removed when the queue empties or the front ends the nexus (not when the transport ends under
 * it: see {@link #detach(Nexus, boolean)}); each {@code lun} line is one LUN's queue in the order
 * the conditions are reported, by ASC/ASCQ:
 * <pre>
 * # jtgt pending unit attentions kept for the next daemon process
 * nexus iqn.2026-11.org.jtgt:default 1 iqn.1994-05.com.example:host1,i,0x23d000000001
 * lun 0 2A/01 3F/0E
 * lun 3 2A/09
 * </pre>
 *
 * <p>Files are written whole (temporary file, atomic rename) before the command or
 * administration that changed the state is answered. They are not forced to the disk: they
 * outlive a killed process in the page cache, and after a power loss the target starts cold
 * and drops them anyway. A file of more than {@link #MAX_FILE_BYTES}, or one that does not parse
 * or names another unit or nexus, is refused whole with a warning naming file, line and reason,
 * and the unit or nexus starts with the defaults. Mode 0600, the directory 0700 (they name
 * initiators).
 */
final class KeptState {
    private static final Logger LOG = LoggerFactory.getLogger(KeptState.class);

    static final String DIRECTORY = "state-kept";
    static final String MODE_SUFFIX = ".mode";
    static final String ATTENTIONS_SUFFIX = ".ua";
    /** Bounds what is read: a unit's file is a few lines, a nexus's at most one line per LUN. */
    static final int MAX_FILE_BYTES = 1 << 20;
    private static final String MODE_HEADER = "# jtgt mode parameters kept for the next daemon process";
    private static final String ATTENTIONS_HEADER = "# jtgt pending unit attentions kept for the next daemon process";

    private final Path dir;

    /** @param configDir the configuration directory; the files live in its {@value #DIRECTORY} */
    KeptState(Path configDir) {
        this.dir = configDir.resolve(DIRECTORY);
    }

    Path directory() {
        return dir;
    }

    /** A cold start: removes every file kept by an earlier daemon process; returns how many. */
    static int dropAll(Path configDir) {
        Path d = configDir.resolve(DIRECTORY);
        int n = 0;
        try (Stream<Path> files = Files.list(d)) {
            for (Path f : files.toList()) {
                if (Files.deleteIfExists(f)) {
                    n++;
                }
            }
        } catch (NoSuchFileException e) {
            // nothing kept
        } catch (IOException e) {
            LOG.warn("cannot empty {}: {}", d, e.toString());
        }
        return n;
    }

    /** A line of a kept file that cannot be taken; the message is {@code FILE:LINE: reason}. */
    static final class BrokenFileException extends Exception {
        private static final long serialVersionUID = 1L;

        BrokenFileException(Path file, int line, String reason) {
            super(file + ":" + line + ": " + reason);
        }
    }

    // =========================== mode parameters ===========================

    Path modeFile(String targetName, int lun) {
        String pr = AptplFile.fileName(targetName, lun);
        return dir.resolve(pr.substring(0, pr.length() - ".pr".length()) + MODE_SUFFIX);
    }

    /**
     * What a unit's file holds; {@code thresholdCount} is -1 when the file has no threshold line,
     * {@code reservedBy} null when it has no {@code reserved} line.
     */
    record ModeValues(boolean swp, boolean dSense, boolean wce, boolean thresholdEnabled, long thresholdCount,
                      String reservedBy) {
    }

    /** How a unit's file names the holder of its SPC-2 reservation: {@code RELATIVE-PORT INITIATOR-PORT-NAME}. */
    static String holderName(Nexus n) {
        return n.relativePort() + " " + n.initiatorPortName();
    }

    /**
     * Writes the unit's current mode parameters and SPC-2 reservation; called when one changed,
     * under the lock that guards it ({@link LogicalUnit#modeParameters()}, the unit's own). Writes
     * one at a time, each with the values as they are then, so the last holds the newest. Never
     * throws.
     */
    synchronized void saveMode(LogicalUnit u) {
        StringBuilder b = new StringBuilder(MODE_HEADER).append('\n');
        b.append("unit ").append(u.targetName()).append(' ').append(u.lun()).append('\n');
        b.append("swp ").append(u.softwareWriteProtect() ? 1 : 0).append('\n');
        b.append("d_sense ").append(u.descriptorSense() ? 1 : 0).append('\n');
        b.append("wce ").append(u.writeCacheEnabled() ? 1 : 0).append('\n');
        if (u.options().thin()) {
            ProvisioningThreshold t = u.provisioning();
            b.append("threshold ").append(t.enabled() ? 1 : 0).append(' ').append(t.count()).append('\n');
        }
        String holder = u.reservationHolderName();
        if (holder != null) {
            b.append("reserved ").append(holder).append('\n');
        }
        Path f = modeFile(u.targetName(), u.lun());
        try {
            write(f, b);
        } catch (IOException e) {
            LOG.warn("{}: cannot keep the mode parameters for the next daemon process: {}", f, e.toString());
        }
    }

    /**
     * Gives a unit just made the mode parameters its previous daemon process had, if a file
     * holds them; else it keeps the defaults. Never throws.
     */
    void restoreMode(LogicalUnit u) {
        Path f = modeFile(u.targetName(), u.lun());
        ModeValues v;
        try {
            v = loadMode(f, u.targetName(), u.lun());
        } catch (BrokenFileException e) {
            LOG.warn("{}; the unit starts with the default mode parameters", e.getMessage());
            return;
        } catch (IOException e) {
            LOG.warn("{}: cannot read: {}; the unit starts with the default mode parameters", f, e.toString());
            return;
        }
        if (v == null) {
            return;
        }
        if (v.reservedBy() != null) {
            u.awaitReservationHolder(v.reservedBy());
            LOG.info("{}: reserved (SPC-2) by {} as in the previous daemon process", f, v.reservedBy());
        }
        synchronized (u.modeParameters()) {
            u.softwareWriteProtect(v.swp());
            u.descriptorSense(v.dSense());
            u.writeCacheEnabled(v.wce());
            if (v.thresholdCount() >= 0) {
                if (u.options().thin()) {
                    u.provisioning().select(v.thresholdEnabled(), v.thresholdCount());
                } else {
                    LOG.info("{}: the unit is no longer thin; its soft threshold is not taken over", f);
                }
            }
        }
        LOG.info("{}: mode parameters taken over from the previous daemon process (SWP {}, D_SENSE {}, WCE {}{})", f,
                v.swp() ? 1 : 0, v.dSense() ? 1 : 0, v.wce() ? 1 : 0,
                v.thresholdCount() >= 0 ? ", soft threshold " + (v.thresholdEnabled() ? "on" : "off") + " at "
                        + v.thresholdCount() : "");
    }

    /** The unit was removed: a unit added again later starts with the defaults, as in one process. */
    void dropMode(String targetName, int lun) {
        Path f = modeFile(targetName, lun);
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            LOG.warn("{}: cannot remove: {}", f, e.toString());
        }
    }

    /** The values in {@code f}, or {@code null} if there is no file. */
    static ModeValues loadMode(Path f, String targetName, int lun) throws IOException, BrokenFileException {
        List<String> lines = read(f);
        if (lines == null) {
            return null;
        }
        Boolean swp = null;
        Boolean dSense = null;
        Boolean wce = null;
        boolean thresholdEnabled = false;
        long thresholdCount = -1;
        String reservedBy = null;
        boolean unit = false;
        for (int i = 0; i < lines.size(); i++) {
            int no = i + 1;
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] w = line.split("\\s+");
            switch (w[0]) {
                case "unit":
                    expect(f, no, w, 3, "unit TARGET LUN");
                    if (unit) {
                        throw new BrokenFileException(f, no, "a second unit line");
                    }
                    if (!w[1].equals(targetName) || !w[2].equals(Integer.toString(lun))) {
                        throw new BrokenFileException(f, no, "the file is of " + w[1] + " LUN " + w[2] + ", not of "
                                + targetName + " LUN " + lun);
                    }
                    unit = true;
                    break;
                case "swp":
                    expect(f, no, w, 2, "swp 0|1");
                    swp = bit(f, no, w[1], swp);
                    break;
                case "d_sense":
                    expect(f, no, w, 2, "d_sense 0|1");
                    dSense = bit(f, no, w[1], dSense);
                    break;
                case "wce":
                    expect(f, no, w, 2, "wce 0|1");
                    wce = bit(f, no, w[1], wce);
                    break;
                case "threshold":
                    expect(f, no, w, 3, "threshold ENABLED COUNT");
                    if (thresholdCount >= 0) {
                        throw new BrokenFileException(f, no, "a second threshold line");
                    }
                    thresholdEnabled = bit(f, no, w[1], null);
                    thresholdCount = number(f, no, w[2], 0xFFFF_FFFFL);
                    break;
                case "reserved":
                    expect(f, no, w, 3, "reserved RELATIVE-PORT INITIATOR-PORT-NAME");
                    if (reservedBy != null) {
                        throw new BrokenFileException(f, no, "a second reserved line");
                    }
                    reservedBy = number(f, no, w[1], 0xFFFF) + " " + w[2];
                    break;
                default:
                    throw new BrokenFileException(f, no, "unknown keyword '" + w[0] + "'");
            }
        }
        if (!unit) {
            throw new BrokenFileException(f, lines.size(), "no 'unit TARGET LUN' line: not a file of this daemon");
        }
        if (swp == null || dSense == null || wce == null) {
            throw new BrokenFileException(f, lines.size(), "swp, d_sense and wce lines are all required");
        }
        return new ModeValues(swp, dSense, wce, thresholdEnabled, thresholdCount, reservedBy);
    }

    // =========================== unit attentions ===========================

    /** The file of the I_T nexus named by target, relative target port and initiator port name. */
    Path attentionsFile(String targetName, int relativePort, String initiatorPortName) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] h = sha.digest((targetName + '\0' + relativePort + '\0' + initiatorPortName)
                    .getBytes(StandardCharsets.UTF_8));
            return dir.resolve("nexus-" + HexFormat.of().formatHex(h, 0, 16) + ATTENTIONS_SUFFIX);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * Binds a nexus just created to its file: the unit attentions its previous daemon process
     * had pending for it, on LUNs the target has, are pending again in the same order; from now
     * on every change is written. Admin lock held. Never throws.
     */
    void attach(Nexus n) {
        Attentions a = new Attentions(attentionsFile(n.target().name(), n.relativePort(), n.initiatorPortName()), n);
        Map<Integer, List<SenseReason>> queues = null;
        try {
            queues = loadAttentions(a.path, n.target().name(), n.relativePort(), n.initiatorPortName());
        } catch (BrokenFileException e) {
            LOG.warn("{}; {} starts with no pending unit attention", e.getMessage(), n);
        } catch (IOException e) {
            LOG.warn("{}: cannot read: {}; {} starts with no pending unit attention", a.path, e.toString(), n);
        }
        int restored = 0;
        if (queues != null) {
            for (Map.Entry<Integer, List<SenseReason>> q : queues.entrySet()) {
                int lun = q.getKey();
                if (n.target().lun(lun) == null || !n.maps(lun)) {
                    LOG.info("{}: LUN {} is not there for {} any more; its unit attentions are dropped", a.path, lun, n);
                    continue;
                }
                for (SenseReason r : q.getValue()) {
                    n.unitAttentions().establish(lun, r);
                    restored++;
                }
            }
        }
        n.unitAttentions().keeper(a);
        for (LogicalUnit u : n.target().luns()) {
            u.nexusGivenAgain(n);   // the holder of a reservation taken over holds it again
        }
        if (queues != null) {
            a.changed(n.unitAttentions());   // the file as it now is (LUNs dropped above, or nothing)
        }
        if (restored > 0) {
            LOG.info("{}: {} pending unit attention(s) taken over from the previous daemon process", n, restored);
        }
    }

    /** The nexus ended (logout, target deleted): its pending unit attentions end with it. */
    void detach(Nexus n) {
        detach(n, false);
    }

    /**
     * The nexus ended in this daemon process; nothing more is written for it. {@code livesOn}: the
     * transport ended under it (this process is leaving, or the front is gone), so its file stays
     * for the nexus the front gives the next daemon process; else it is removed.
     */
    void detach(Nexus n, boolean livesOn) {
        if (n.unitAttentions().keeper() instanceof Attentions a) {
            n.unitAttentions().keeper(null);
            a.drop(!livesOn);
        }
    }

    /** The queues in {@code f} in file order, or {@code null} if there is no file. */
    static Map<Integer, List<SenseReason>> loadAttentions(Path f, String targetName, int relativePort,
                                                          String initiatorPortName) throws IOException, BrokenFileException {
        List<String> lines = read(f);
        if (lines == null) {
            return null;
        }
        Map<Integer, List<SenseReason>> queues = new LinkedHashMap<>();
        boolean nexus = false;
        for (int i = 0; i < lines.size(); i++) {
            int no = i + 1;
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] w = line.split("\\s+");
            switch (w[0]) {
                case "nexus": {
                    String[] v = line.split("\\s+", 4);
                    expect(f, no, v, 4, "nexus TARGET RELATIVE-PORT INITIATOR-PORT-NAME");
                    if (nexus) {
                        throw new BrokenFileException(f, no, "a second nexus line");
                    }
                    if (!v[1].equals(targetName) || !v[2].equals(Integer.toString(relativePort))
                            || !v[3].equals(initiatorPortName)) {
                        throw new BrokenFileException(f, no, "the file is of another I_T nexus (" + v[3] + " -> " + v[1]
                                + " port " + v[2] + ")");
                    }
                    nexus = true;
                    break;
                }
                case "lun": {
                    if (w.length < 3) {
                        throw new BrokenFileException(f, no, "expected 'lun LUN ASC/ASCQ...'");
                    }
                    int lun = (int) number(f, no, w[1], LunAddress.MAX_LUN);
                    if (queues.containsKey(lun)) {
                        throw new BrokenFileException(f, no, "LUN " + lun + " twice");
                    }
                    if (w.length - 2 > UnitAttentions.CAPACITY) {
                        throw new BrokenFileException(f, no, "more than " + UnitAttentions.CAPACITY + " conditions");
                    }
                    List<SenseReason> q = new ArrayList<>(w.length - 2);
                    for (int k = 2; k < w.length; k++) {
                        SenseReason r = unitAttention(w[k]);
                        if (r == null) {
                            throw new BrokenFileException(f, no, "'" + w[k] + "' is not a unit attention this daemon reports");
                        }
                        if (q.contains(r)) {
                            throw new BrokenFileException(f, no, w[k] + " twice in one queue");
                        }
                        q.add(r);
                    }
                    queues.put(lun, q);
                    break;
                }
                default:
                    throw new BrokenFileException(f, no, "unknown keyword '" + w[0] + "'");
            }
        }
        if (!nexus) {
            throw new BrokenFileException(f, lines.size(), "no 'nexus' line: not a file of this daemon");
        }
        return queues;
    }

    /** {@code ASC/ASCQ} in hex, as the files write them. */
    static String code(SenseReason r) {
        return String.format("%02X/%02X", r.asc(), r.ascq());
    }

    /** The unit attention reason written as {@code ASC/ASCQ}, or {@code null}. */
    static SenseReason unitAttention(String code) {
        for (SenseReason r : SenseReason.values()) {
            if (r.isUnitAttention() && code(r).equalsIgnoreCase(code)) {
                return r;
            }
        }
        return null;
    }

    /**
     * One nexus's file. Each change writes a snapshot taken under this object's lock after the
     * change, so the last write holds the newest state whichever thread made it.
     */
    static final class Attentions implements UnitAttentions.Keeper {
        private final Path path;
        /** {@code TARGET RELATIVE-PORT INITIATOR-PORT-NAME} */
        private final String nexus;
        private boolean dropped;

        Attentions(Path path, Nexus n) {
            this.path = path;
            this.nexus = n.target().name() + ' ' + n.relativePort() + ' ' + n.initiatorPortName();
        }

        @Override
        public synchronized void changed(UnitAttentions ua) {
            if (dropped) {
                return;
            }
            Map<Integer, List<SenseReason>> queues = ua.snapshot();
            try {
                if (queues.isEmpty()) {
                    Files.deleteIfExists(path);
                    return;
                }
                StringBuilder b = new StringBuilder(ATTENTIONS_HEADER).append('\n');
                b.append("nexus ").append(nexus).append('\n');
                for (Map.Entry<Integer, List<SenseReason>> q : queues.entrySet()) {
                    b.append("lun ").append(q.getKey());
                    for (SenseReason r : q.getValue()) {
                        b.append(' ').append(code(r));
                    }
                    b.append('\n');
                }
                write(path, b);
            } catch (IOException e) {
                LOG.warn("{}: cannot keep the pending unit attentions for the next daemon process: {}", path, e.toString());
            }
        }

        /** No more writes; the file removed too if {@code remove}. */
        synchronized void drop(boolean remove) {
            dropped = true;
            if (!remove) {
                return;
            }
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                LOG.warn("{}: cannot remove: {}", path, e.toString());
            }
        }
    }

    // =========================== files ===========================

    private static List<String> read(Path f) throws IOException, BrokenFileException {
        long size;
        try {
            size = Files.size(f);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (size > MAX_FILE_BYTES) {
            throw new BrokenFileException(f, 0, size + " bytes, more than the " + MAX_FILE_BYTES + " a kept file may have");
        }
        try {
            return Files.readAllLines(f, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new BrokenFileException(f, 0, "not UTF-8 text");
        }
    }

    private static void expect(Path f, int no, String[] w, int n, String form) throws BrokenFileException {
        if (w.length != n) {
            throw new BrokenFileException(f, no, "expected '" + form + "'");
        }
    }

    private static boolean bit(Path f, int no, String s, Boolean before) throws BrokenFileException {
        if (before != null) {
            throw new BrokenFileException(f, no, "a second line of this kind");
        }
        if (!s.equals("0") && !s.equals("1")) {
            throw new BrokenFileException(f, no, "expected 0 or 1, not '" + s + "'");
        }
        return s.equals("1");
    }

    private static long number(Path f, int no, String s, long max) throws BrokenFileException {
        boolean digits = !s.isEmpty() && s.length() <= 10;
        for (int i = 0; digits && i < s.length(); i++) {
            digits = s.charAt(i) >= '0' && s.charAt(i) <= '9';
        }
        long v = digits ? Long.parseLong(s) : -1;
        if (v < 0 || v > max) {
            throw new BrokenFileException(f, no, "'" + s + "' is not a number in 0.." + max);
        }
        return v;
    }

    /** A temporary file, then an atomic rename over the old one; 0600, the directory 0700 when made here. */
    private static void write(Path path, StringBuilder text) throws IOException {
        OwnerOnlyFiles.createDirectories(path.getParent());
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        try (FileChannel ch = OwnerOnlyFiles.replaceFile(tmp);
             OutputStream out = Channels.newOutputStream(ch)) {
            out.write(text.toString().getBytes(StandardCharsets.UTF_8));
        }
        try {
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
