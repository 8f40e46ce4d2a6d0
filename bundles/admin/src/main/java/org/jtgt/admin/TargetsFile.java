package org.jtgt.admin;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.jtgt.api.file.OwnerOnlyFiles;
import org.jtgt.api.target.LunOptions;

/**
 * {@code targets.conf}: the targets, LUNs and ACLs made through jtgtadm, one item a line, so that
 * they survive a restart. jtgtadm rewrites the whole file after every change (a temporary file in
 * the same directory, then a rename: a crash leaves the old file or the new one, never half of
 * one). It may be edited by hand while jtgt is stopped.
 *
 * <pre>
 * # comment (also blank lines)
 * target TID IQN                                   TID: 1..65535, IQN: the target's iSCSI name
 * lun    TID LUN memory size=BYTES [blocksize=512|4096] [OPTION=VALUE...]
 * lun    TID LUN file   /ABS/PATH size=BYTES [blocksize=512|4096] [OPTION=VALUE...]
 *        OPTION: readonly=0|1 removable=0|1 thin=0|1 serial=STRING (1..64 printable ASCII, no spaces)
 *                physicalblocksize=BYTES (a power-of-two multiple of the block size; 0 = the block size)
 * acl    TID ALL|INITIATOR-NAME                    one line per entry
 * </pre>
 *
 * A {@code lun} or {@code acl} line names a tid declared by an earlier {@code target} line.
 * The block size defaults to 512; {@code readonly} and {@code removable} to 0, {@code thin} to 1
 * for memory and 0 for file, {@code serial} to one the daemon derives from the target and LUN
 * (lines written before the options existed load with these defaults). A file LUN's file must
 * exist when jtgt starts (it is never created at load); {@code size} is the LUN's capacity. A
 * memory LUN starts empty at every start.
 * A target without {@code acl} lines admits every initiator, as does {@code acl TID ALL}; with
 * names and no {@code ALL} only those initiators (compared by name, case-insensitively).
 *
 * <p>A line that does not parse is reported as {@code targets.conf:LINE: reason} and skipped; the
 * rest still loads. Skipped lines are kept, commented out with their reason, when the file is
 * next written, so nothing typed by hand is lost silently.
 */
final class TargetsFile {
    static final String NAME = "targets.conf";
    static final String ALL = "ALL";
    static final int MAX_TID = 65535;
    static final int DEFAULT_BLOCK_SIZE = 512;
    /** Longest serial number the daemon takes for VPD page 80h. */
    static final int MAX_SERIAL_LENGTH = 64;
    static final String READONLY = "readonly";
    static final String REMOVABLE = "removable";
    static final String THIN = "thin";
    static final String SERIAL = "serial";
    static final String PHYSICAL_BLOCK_SIZE = "physicalblocksize";
    private static final List<String> OPTION_KEYS = List.of(READONLY, REMOVABLE, THIN, SERIAL, PHYSICAL_BLOCK_SIZE);

    /** One logical unit: {@code path} is null for memory. */
    record LunSpec(int lun, String type, String path, long size, int blockSize, LunOptions options, int line) {
        LunSpec {
            options = options == null ? defaultOptions(type) : options;
        }

        /** With the options a line without them gets. */
        LunSpec(int lun, String type, String path, long size, int blockSize, int line) {
            this(lun, type, path, size, blockSize, null, line);
        }

        String format(int tid) {
            StringBuilder s = new StringBuilder("lun ").append(tid).append(' ').append(lun).append(' ').append(type);
            if (path != null) {
                s.append(' ').append(path);
            }
            s.append(" size=").append(size).append(" blocksize=").append(blockSize);
            s.append(' ').append(READONLY).append('=').append(flag(options.readOnly()));
            s.append(' ').append(REMOVABLE).append('=').append(flag(options.removable()));
            s.append(' ').append(THIN).append('=').append(flag(options.thin()));
            if (options.serial() != null) {
                s.append(' ').append(SERIAL).append('=').append(options.serial());
            }
            if (options.physicalBlockSize() != 0) {
                s.append(' ').append(PHYSICAL_BLOCK_SIZE).append('=').append(options.physicalBlockSize());
            }
            return s.toString();
        }

        private static char flag(boolean b) {
            return b ? '1' : '0';
        }
    }

    /** One target with its LUNs (by number) and ACL entries (in order; {@value #ALL} or names). */
    record TargetSpec(int tid, String iqn, Map<Integer, LunSpec> luns, List<String> acl, int line) {
        TargetSpec {
            luns = Collections.unmodifiableSortedMap(new TreeMap<>(luns));
            acl = List.copyOf(acl);
        }

        TargetSpec withLun(LunSpec l) {
            Map<Integer, LunSpec> next = new TreeMap<>(luns);
            next.put(l.lun(), l);
            return new TargetSpec(tid, iqn, next, acl, line);
        }

        TargetSpec withoutLun(int lun) {
            Map<Integer, LunSpec> next = new TreeMap<>(luns);
            next.remove(lun);
            return new TargetSpec(tid, iqn, next, acl, line);
        }

        TargetSpec withAcl(List<String> entries) {
            return new TargetSpec(tid, iqn, luns, entries, line);
        }

        /** The ACL as the daemon takes it: empty means every initiator. */
        List<String> daemonAcl() {
            return acl.contains(ALL) ? List.of() : acl;
        }
    }

    /** A line that was skipped at load, and why. */
    record Skipped(int line, String text, String reason) {
        String message() {
            return NAME + ":" + line + ": " + reason;
        }
    }

    /** What a file holds: targets by tid, the CHAP accounts, and the lines that were skipped. */
    record Contents(Map<Integer, TargetSpec> targets, List<Skipped> skipped, Accounts accounts) {
        Contents(Map<Integer, TargetSpec> targets, List<Skipped> skipped) {
            this(targets, skipped, Accounts.EMPTY);
        }
    }

    /**
     * CHAP accounts (tgtadm's {@code --mode account}) and their bindings to targets.
     *
     * @param secrets user → secret, in the order they were made
     * @param incoming tid → users that may log in to it
     * @param outgoing tid → the user the target answers mutual CHAP with
     */
    record Accounts(Map<String, String> secrets, Map<Integer, List<String>> incoming, Map<Integer, String> outgoing) {
        static final Accounts EMPTY = new Accounts(Map.of(), Map.of(), Map.of());

        Accounts {
            secrets = Collections.unmodifiableMap(new LinkedHashMap<>(secrets));
            Map<Integer, List<String>> in = new TreeMap<>();
            incoming.forEach((tid, users) -> {
                if (!users.isEmpty()) {
                    in.put(tid, List.copyOf(users));
                }
            });
            incoming = Collections.unmodifiableMap(in);
            outgoing = Collections.unmodifiableMap(new TreeMap<>(outgoing));
        }

        /** The tids {@code user} is bound to, as text ("tid 1, tid 2 (outgoing)"), or empty. */
        List<String> bindingsOf(String user) {
            List<String> out = new ArrayList<>();
            incoming.forEach((tid, users) -> {
                if (users.contains(user)) {
                    out.add("tid " + tid);
                }
            });
            outgoing.forEach((tid, u) -> {
                if (u.equals(user)) {
                    out.add("tid " + tid + " (outgoing)");
                }
            });
            return out;
        }

        Accounts withSecret(String user, String secret) {
            Map<String, String> next = new LinkedHashMap<>(secrets);
            if (secret == null) {
                next.remove(user);
            } else {
                next.put(user, secret);
            }
            return new Accounts(next, incoming, outgoing);
        }

        Accounts withIncoming(int tid, List<String> users) {
            Map<Integer, List<String>> next = new TreeMap<>(incoming);
            next.put(tid, users);
            return new Accounts(secrets, next, outgoing);
        }

        Accounts withOutgoing(int tid, String user) {
            Map<Integer, String> next = new TreeMap<>(outgoing);
            if (user == null) {
                next.remove(tid);
            } else {
                next.put(tid, user);
            }
            return new Accounts(secrets, incoming, next);
        }

        /** Without the bindings of a deleted target. */
        Accounts withoutTarget(int tid) {
            Map<Integer, List<String>> in = new TreeMap<>(incoming);
            in.remove(tid);
            Map<Integer, String> out = new TreeMap<>(outgoing);
            out.remove(tid);
            return new Accounts(secrets, in, out);
        }
    }

    /** Shortest and longest CHAP secret: RFC 7143 12.1.3 asks for at least 96 bits; 16 bytes is the common limit. */
    static final int MIN_SECRET = 12;
    static final int MAX_SECRET = 16;
    static final int MAX_USER = 64;

    /**
     * Checks a CHAP account as jtgtadm takes it: a user name of 1..64 printable ASCII characters
     * without spaces (CHAP_N is a text value; the file is split at white space) and a secret of
     * 12..16 printable ASCII characters without spaces (RFC 7143 12.1.3: at least 96 bits;
     * initiators commonly refuse longer secrets, and a longer one would not log in).
     */
    static void checkAccount(String user, String secret) {
        checkUser(user);
        if (secret.length() < MIN_SECRET || secret.length() > MAX_SECRET) {
            throw new IllegalArgumentException("the CHAP secret has " + secret.length() + " characters; it must have "
                    + MIN_SECRET + " to " + MAX_SECRET + " (RFC 7143 12.1.3 asks for at least 96 bits)");
        }
        for (int i = 0; i < secret.length(); i++) {
            char c = secret.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                throw new IllegalArgumentException("the CHAP secret must be printable ASCII without spaces");
            }
        }
    }

    static void checkUser(String user) {
        if (user.isEmpty() || user.length() > MAX_USER) {
            throw new IllegalArgumentException("user name must have 1.." + MAX_USER + " characters");
        }
        for (int i = 0; i < user.length(); i++) {
            char c = user.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                throw new IllegalArgumentException("user name '" + user + "' must be printable ASCII without spaces");
            }
        }
    }

    private static final String LUN_FORM = "lun TID LUN memory|file [PATH] size=BYTES [blocksize=512|4096]"
            + " [readonly=0|1] [removable=0|1] [thin=0|1] [serial=STRING] [physicalblocksize=BYTES]";

    private TargetsFile() {
    }

    /** Parses the lines of a file; never fails, every problem becomes a {@link Skipped} line. */
    static Contents parse(List<String> lines) {
        Map<Integer, TargetSpec> targets = new TreeMap<>();
        List<Skipped> skipped = new ArrayList<>();
        Accounts[] accounts = {Accounts.EMPTY};
        for (int i = 0; i < lines.size(); i++) {
            int lineNo = i + 1;
            String text = lines.get(i);
            String line = text.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                parseLine(line, lineNo, targets, accounts);
            } catch (IllegalArgumentException e) {
                skipped.add(new Skipped(lineNo, text, e.getMessage()));
            }
        }
        return new Contents(targets, skipped, accounts[0]);
    }

    private static void parseLine(String line, int lineNo, Map<Integer, TargetSpec> targets, Accounts[] accounts) {
        String[] w = line.split("\\s+");
        switch (w[0]) {
            case "account" -> {
                words(w, 3, 3, "account USER SECRET");
                checkAccount(w[1], w[2]);
                if (accounts[0].secrets().containsKey(w[1])) {
                    throw new IllegalArgumentException("account " + w[1] + " is declared twice");
                }
                accounts[0] = accounts[0].withSecret(w[1], w[2]);
            }
            case "incominguser", "outgoinguser" -> {
                words(w, 3, 3, w[0] + " TID USER");
                TargetSpec t = declared(targets, w[1]);
                String user = w[2];
                if (!accounts[0].secrets().containsKey(user)) {
                    throw new IllegalArgumentException("no account " + user + " (an account line must come first)");
                }
                Accounts a = accounts[0];
                if (w[0].equals("outgoinguser")) {
                    if (a.outgoing().containsKey(t.tid())) {
                        throw new IllegalArgumentException("tid " + t.tid() + " has an outgoing user already");
                    }
                    accounts[0] = a.withOutgoing(t.tid(), user);
                } else {
                    List<String> users = new ArrayList<>(a.incoming().getOrDefault(t.tid(), List.of()));
                    if (users.contains(user)) {
                        throw new IllegalArgumentException("tid " + t.tid() + " lists " + user + " twice");
                    }
                    users.add(user);
                    accounts[0] = a.withIncoming(t.tid(), users);
                }
            }
            case "target" -> {
                words(w, 3, 3, "target TID IQN");
                int tid = tid(w[1]);
                if (targets.containsKey(tid)) {
                    throw new IllegalArgumentException("tid " + tid + " is declared twice (line "
                            + targets.get(tid).line() + ")");
                }
                for (TargetSpec t : targets.values()) {
                    if (t.iqn().equalsIgnoreCase(w[2])) {
                        throw new IllegalArgumentException("target " + w[2] + " is declared twice (tid " + t.tid() + ")");
                    }
                }
                targets.put(tid, new TargetSpec(tid, w[2], Map.of(), List.of(), lineNo));
            }
            case "lun" -> {
                words(w, 5, 11, LUN_FORM);
                TargetSpec t = declared(targets, w[1]);
                int lun = number(w[2], "LUN", 0, 16383);
                if (t.luns().containsKey(lun)) {
                    throw new IllegalArgumentException("tid " + t.tid() + " has LUN " + lun + " twice (line "
                            + t.luns().get(lun).line() + ")");
                }
                String type = w[3];
                int next = 4;
                String path = null;
                if (type.equals("file")) {
                    path = w[next++];
                    if (!Path.of(path).isAbsolute()) {
                        throw new IllegalArgumentException("file path " + path + " is not absolute");
                    }
                } else if (!type.equals("memory")) {
                    throw new IllegalArgumentException("unknown backing store type '" + type + "' (memory, file)");
                }
                Map<String, String> opts = new LinkedHashMap<>();
                Map<String, String> lunOptions = new LinkedHashMap<>();
                for (int j = next; j < w.length; j++) {
                    int eq = w[j].indexOf('=');
                    String key = eq > 0 ? w[j].substring(0, eq) : "";
                    boolean option = OPTION_KEYS.contains(key);
                    if (!option && !key.equals("size") && !key.equals("blocksize")) {
                        throw new IllegalArgumentException("'" + w[j] + "' is not size=BYTES, blocksize=512|4096, "
                                + "readonly=0|1, removable=0|1, thin=0|1, serial=STRING or physicalblocksize=BYTES");
                    }
                    if ((option ? lunOptions : opts).put(key, w[j].substring(eq + 1)) != null) {
                        throw new IllegalArgumentException(key + "= given twice");
                    }
                }
                if (!opts.containsKey("size")) {
                    throw new IllegalArgumentException("size=BYTES is missing");
                }
                long size = size(opts.get("size"));
                int blockSize = opts.containsKey("blocksize") ? blockSize(opts.get("blocksize")) : DEFAULT_BLOCK_SIZE;
                checkFits(size, blockSize);
                LunOptions options = lunOptions(lunOptions, type);
                targets.put(t.tid(), t.withLun(new LunSpec(lun, type, path, size, blockSize, options, lineNo)));
            }
            case "acl" -> {
                words(w, 3, 3, "acl TID ALL|INITIATOR-NAME");
                TargetSpec t = declared(targets, w[1]);
                if (w[2].indexOf(',') >= 0) {
                    throw new IllegalArgumentException("'" + w[2] + "' is not an initiator name");
                }
                for (String a : t.acl()) {
                    if (a.equalsIgnoreCase(w[2])) {
                        throw new IllegalArgumentException("tid " + t.tid() + " lists " + w[2] + " twice");
                    }
                }
                List<String> acl = new ArrayList<>(t.acl());
                acl.add(w[2].equalsIgnoreCase(ALL) ? ALL : w[2]);
                targets.put(t.tid(), t.withAcl(acl));
            }
            default -> throw new IllegalArgumentException("unknown keyword '" + w[0]
                    + "' (target, lun, acl, account, incominguser, outgoinguser)");
        }
    }

    /** The file's text for {@code targets}, then the skipped lines commented out. */
    static String format(Map<Integer, TargetSpec> targets, List<Skipped> skipped) {
        return format(targets, Accounts.EMPTY, skipped);
    }

    /** The file's text for {@code targets} and {@code accounts}, then the skipped lines commented out. */
    static String format(Map<Integer, TargetSpec> targets, Accounts accounts, List<Skipped> skipped) {
        StringBuilder s = new StringBuilder();
        s.append("# jtgt targets, written by jtgtadm; edit only while jtgt is stopped.\n");
        s.append("# target TID IQN | acl TID ALL|NAME\n");
        s.append("# lun TID LUN memory|file [PATH] size=BYTES blocksize=512|4096 readonly=0|1 removable=0|1 thin=0|1"
                + " [serial=STRING] [physicalblocksize=BYTES]\n");
        if (!accounts.secrets().isEmpty()) {
            s.append("# account USER SECRET | incominguser TID USER | outgoinguser TID USER\n\n");
            accounts.secrets().forEach((user, secret) -> s.append("account ").append(user).append(' ').append(secret)
                    .append('\n'));
        }
        for (TargetSpec t : new TreeMap<>(targets).values()) {
            s.append('\n').append("target ").append(t.tid()).append(' ').append(t.iqn()).append('\n');
            for (LunSpec l : new TreeMap<>(t.luns()).values()) {
                s.append(l.format(t.tid())).append('\n');
            }
            for (String a : t.acl()) {
                s.append("acl ").append(t.tid()).append(' ').append(a).append('\n');
            }
            for (String u : accounts.incoming().getOrDefault(t.tid(), List.of())) {
                s.append("incominguser ").append(t.tid()).append(' ').append(u).append('\n');
            }
            String out = accounts.outgoing().get(t.tid());
            if (out != null) {
                s.append("outgoinguser ").append(t.tid()).append(' ').append(out).append('\n');
            }
        }
        if (!skipped.isEmpty()) {
            s.append("\n# Lines skipped when jtgt loaded this file (fix and uncomment them):\n");
            for (Skipped k : skipped) {
                String text = k.text().strip();
                if (!text.startsWith("#")) {
                    s.append("# ").append(k.reason()).append('\n').append("# ").append(text).append('\n');
                }
            }
        }
        return s.toString();
    }

    /** Reads {@code file}; a missing file is empty. */
    static Contents read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return new Contents(Map.of(), List.of());
        }
        return parse(Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    /**
     * Replaces {@code file} atomically: a temporary file in the same directory, then a rename.
     * The file is readable by its owner only (it may hold CHAP secrets), as the control socket is;
     * a directory created for it is 0700.
     */
    static void write(Path file, String text) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        OwnerOnlyFiles.createDirectories(dir);
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        try (FileChannel ch = OwnerOnlyFiles.replaceFile(tmp); OutputStream out = Channels.newOutputStream(ch)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    // ---- field checks, shared with the jtgtadm commands ----

    static int tid(String s) {
        return number(s, "tid", 1, MAX_TID);
    }

    static int number(String s, String what, int min, int max) {
        int n;
        try {
            n = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " '" + s + "' is not a number");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(what + " " + n + " is outside " + min + ".." + max);
        }
        return n;
    }

    static long size(String s) {
        long n;
        try {
            n = Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size '" + s + "' is not a number of bytes");
        }
        if (n <= 0) {
            throw new IllegalArgumentException("size " + n + " is not positive");
        }
        return n;
    }

    static int blockSize(String s) {
        if (!s.equals("512") && !s.equals("4096")) {
            throw new IllegalArgumentException("block size '" + s + "' is not supported; use 512 or 4096");
        }
        return Integer.parseInt(s);
    }

    /** The options of a LUN without {@code readonly=}, {@code thin=} ... : thin for memory only. */
    static LunOptions defaultOptions(String type) {
        return new LunOptions(false, false, "memory".equals(type), null);
    }

    /**
     * tgtadm's {@code --params}: {@code key=value} items separated by commas, each key once, for
     * example {@code readonly=1,serial=DISK0001}. Only the keys are checked here.
     */
    static Map<String, String> params(String text) {
        return params(text, OPTION_KEYS);
    }

    static final String SIZE = "size";
    /**
     * Keys {@code --op update --mode logicalunit} takes: the options and {@value #SIZE} (serial and
     * physicalblocksize only to be refused with the reason).
     */
    static final List<String> UPDATE_KEYS = List.of(READONLY, REMOVABLE, THIN, SERIAL, PHYSICAL_BLOCK_SIZE, SIZE);

    /** {@link #params(String)} with the keys {@code allowed}. */
    static Map<String, String> params(String text, List<String> allowed) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String item : text.split(",", -1)) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--params item '" + item + "' is not KEY=VALUE (" + keys() + ")");
            }
            String key = item.substring(0, eq);
            if (!allowed.contains(key)) {
                throw new IllegalArgumentException("unknown --params key '" + key + "' (" + keys()
                        + (allowed.contains(SIZE) ? ", size=BYTES" : "") + ")");
            }
            if (out.put(key, item.substring(eq + 1)) != null) {
                throw new IllegalArgumentException("--params key '" + key + "' given twice");
            }
        }
        return out;
    }

    /**
     * The options {@code values} (keys {@code readonly}, {@code removable}, {@code thin},
     * {@code serial}, {@code physicalblocksize}) give a LUN of {@code type}; a missing key keeps its default.
     */
    static LunOptions lunOptions(Map<String, String> values, String type) {
        return lunOptions(values, defaultOptions(type));
    }

    /** The options {@code values} give, each missing key keeping its value in {@code d}. */
    static LunOptions lunOptions(Map<String, String> values, LunOptions d) {
        for (String key : values.keySet()) {
            if (!OPTION_KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown LUN option '" + key + "' (" + keys() + ")");
            }
        }
        String serial = values.containsKey(SERIAL) ? values.get(SERIAL) : d.serial();
        if (values.containsKey(SERIAL)) {
            checkSerial(serial);
        }
        return new LunOptions(flag(values, READONLY, d.readOnly()), flag(values, REMOVABLE, d.removable()),
                flag(values, THIN, d.thin()), serial, physicalBlockSize(values.get(PHYSICAL_BLOCK_SIZE)));
    }

    /**
     * Bytes per physical block: 0 (absent: one logical block per physical block) or a power of
     * two; that it is a multiple of the block size the daemon checks when it adds the LUN.
     */
    private static int physicalBlockSize(String v) {
        if (v == null) {
            return 0;
        }
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PHYSICAL_BLOCK_SIZE + "=" + v + " is not a number of bytes");
        }
        if (n < 0 || n != 0 && Integer.bitCount(n) != 1) {
            throw new IllegalArgumentException(PHYSICAL_BLOCK_SIZE + "=" + v + ": use 0 or a power of two, e.g. 4096");
        }
        return n;
    }

    /** SPC-4 Unit Serial Number VPD page (80h): ASCII; the daemon takes 1..64 printable characters. */
    private static void checkSerial(String serial) {
        if (serial.isEmpty()) {
            throw new IllegalArgumentException("serial= is empty");
        }
        if (serial.length() > MAX_SERIAL_LENGTH) {
            throw new IllegalArgumentException("serial has " + serial.length() + " characters; at most "
                    + MAX_SERIAL_LENGTH + " fit VPD page 80h");
        }
        for (int i = 0; i < serial.length(); i++) {
            char c = serial.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                throw new IllegalArgumentException("serial must be printable ASCII without spaces (VPD page 80h); "
                        + "character " + (i + 1) + " is U+" + String.format("%04X", (int) c));
            }
        }
    }

    private static boolean flag(Map<String, String> values, String key, boolean fallback) {
        String v = values.get(key);
        if (v == null) {
            return fallback;
        }
        return switch (v) {
            case "0", "off" -> false;
            case "1", "on" -> true;
            default -> throw new IllegalArgumentException(key + "=" + v + ": use " + key + "=0|1 or " + key + "=on|off");
        };
    }

    /** {@code readonly=0 removable=0 thin=1}, as a {@code lun} line has them. */
    static String describeOptions(LunOptions o) {
        return READONLY + "=" + (o.readOnly() ? 1 : 0) + " " + REMOVABLE + "=" + (o.removable() ? 1 : 0) + " " + THIN
                + "=" + (o.thin() ? 1 : 0);
    }

    private static String keys() {
        return READONLY + "=0|1, " + REMOVABLE + "=0|1, " + THIN + "=0|1, " + SERIAL + "=STRING, "
                + PHYSICAL_BLOCK_SIZE + "=BYTES";
    }

    static void checkFits(long size, int blockSize) {
        if (size % blockSize != 0) {
            throw new IllegalArgumentException("size " + size + " is not a multiple of the block size " + blockSize);
        }
    }

    private static void words(String[] w, int min, int max, String form) {
        if (w.length < min || w.length > max) {
            throw new IllegalArgumentException("expected '" + form + "'");
        }
    }

    private static TargetSpec declared(Map<Integer, TargetSpec> targets, String tid) {
        TargetSpec t = targets.get(tid(tid));
        if (t == null) {
            throw new IllegalArgumentException("tid " + tid + " is not declared by an earlier target line");
        }
        return t;
    }
}
