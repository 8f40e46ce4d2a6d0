package org.jtgt.config;

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

import java.util.function.Function;

import org.jtgt.api.config.ConfigValues;
import org.jtgt.api.store.BackingStoreProvider;
import org.jtgt.api.target.LunOptions;
import org.jtgt.api.target.PortGroup;
import org.jtgt.util.file.OwnerOnlyFiles;

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
 *                softthreshold=PERCENT (thin LUNs: soft threshold on used space, 0 = none)
 *                and the store options of the type (file: direct=0|1)
 * acl    TID ALL|INITIATOR-NAME                    one line per entry
 * lunmap TID INITIATOR-NAME [MAPPED-LUN=LUN ...]    what the initiator sees ({@link InitiatorLunMaps})
 * portgroup TID GROUP ports=PORT[,PORT...] state=STATE [preferred=0|1]   ({@link PortGroupLines})
 * </pre>
 *
 * A {@code lun} or {@code acl} line names a tid declared by an earlier {@code target} line.
 * The block size defaults to 512; {@code readonly} and {@code removable} to 0, {@code thin} to
 * what the store type's provider says ({@code BackingStoreProvider.thinByDefault}: 1 for memory,
 * 0 for file; a line read while its type's provider is not running keeps no {@code thin=} until
 * it is), {@code serial} to one the daemon derives from the target and LUN (lines written before
 * the options existed load with these defaults). Any other {@code KEY=VALUE} is a store option of
 * the type ({@code BackingStoreProvider.optionKeys}, checked by its provider; a key the type does
 * not take skips the line with the keys it does); a line read while its type's provider is not
 * running keeps its store options unchecked until the provider comes. They are written after the
 * LUN options, sorted by key, and the store is opened with them. A LUN has a path when the word after its type
 * is not {@code KEY=VALUE}; whether its type needs one is the provider's to say when the LUN is
 * applied. A file LUN's file must exist when jtgt starts (it is never created at load);
 * {@code size} is the LUN's capacity. A memory LUN starts empty at every start.
 * A target without {@code acl} lines admits every initiator, as does {@code acl TID ALL}; with
 * names and no {@code ALL} only those initiators (compared by name, case-insensitively).
 *
 * <p>A line that does not parse is reported as {@code targets.conf:LINE: reason} and skipped; the
 * rest still loads. Skipped lines are kept, commented out with their reason, when the file is
 * next written, so nothing typed by hand is lost silently.
 */
final class TargetsFile {
    static final String NAME = "targets.conf";
    static final String ALL = ConfigValues.ALL;

    /**
     * One logical unit: {@code path} is null for a type that uses none; {@code storeOptions} the
     * store options of its type, sorted by key. {@code thinOfType}: the line gives no
     * {@code thin=} and its type's default was not known when it was read (the type's provider
     * was not running); {@link #withDefaultsOf} settles it.
     */
    record LunSpec(int lun, String type, String path, long size, int blockSize, LunOptions options,
            Map<String, String> storeOptions, boolean thinOfType, int line) {
        LunSpec {
            storeOptions = Collections.unmodifiableSortedMap(new TreeMap<>(storeOptions));
        }

        LunSpec(int lun, String type, String path, long size, int blockSize, LunOptions options, int line) {
            this(lun, type, path, size, blockSize, options, Map.of(), false, line);
        }

        LunSpec(int lun, String type, String path, long size, int blockSize, LunOptions options,
                Map<String, String> storeOptions, int line) {
            this(lun, type, path, size, blockSize, options, storeOptions, false, line);
        }

        /** With {@code thin} as {@code provider}'s type has it, if the line left it to the type. */
        LunSpec withDefaultsOf(BackingStoreProvider provider) {
            if (!thinOfType) {
                return this;
            }
            LunOptions o = options;
            return new LunSpec(lun, type, path, size, blockSize, new LunOptions(o.readOnly(), o.removable(),
                    provider.thinByDefault(), o.serial(), o.physicalBlockSize(), o.softThreshold()), storeOptions, false,
                    line);
        }

        /** This LUN with another size and options; its store options stay. */
        LunSpec with(long newSize, LunOptions newOptions) {
            return new LunSpec(lun, type, path, newSize, blockSize, newOptions, storeOptions, thinOfType, line);
        }

        String format(int tid) {
            StringBuilder s = new StringBuilder("lun ").append(tid).append(' ').append(lun).append(' ').append(type);
            if (path != null) {
                s.append(' ').append(path);
            }
            s.append(" size=").append(size).append(" blocksize=").append(blockSize);
            s.append(' ').append(ConfigValues.READONLY).append('=').append(flag(options.readOnly()));
            s.append(' ').append(ConfigValues.REMOVABLE).append('=').append(flag(options.removable()));
            if (!thinOfType || options.softThreshold() != 0) {
                s.append(' ').append(ConfigValues.THIN).append('=').append(flag(options.thin()));
            }
            if (options.serial() != null) {
                s.append(' ').append(ConfigValues.SERIAL).append('=').append(options.serial());
            }
            if (options.physicalBlockSize() != 0) {
                s.append(' ').append(ConfigValues.PHYSICAL_BLOCK_SIZE).append('=').append(options.physicalBlockSize());
            }
            if (options.softThreshold() != 0) {
                s.append(' ').append(ConfigValues.SOFT_THRESHOLD).append('=').append(options.softThreshold());
            }
            storeOptions.forEach((k, v) -> s.append(' ').append(k).append('=').append(v));
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

    /**
     * What a file holds: targets by tid, the CHAP accounts, the lines that were skipped, the
     * target port groups by tid and the initiators' LUN maps.
     */
    record Contents(Map<Integer, TargetSpec> targets, List<Skipped> skipped, Accounts accounts,
            Map<Integer, List<PortGroup>> portGroups, InitiatorLunMaps lunMaps) {
        Contents(Map<Integer, TargetSpec> targets, List<Skipped> skipped, Accounts accounts,
                InitiatorLunMaps lunMaps) {
            this(targets, skipped, accounts, Map.of(), lunMaps);
        }

        Contents(Map<Integer, TargetSpec> targets, List<Skipped> skipped, Accounts accounts,
                Map<Integer, List<PortGroup>> portGroups) {
            this(targets, skipped, accounts, portGroups, InitiatorLunMaps.EMPTY);
        }

        Contents(Map<Integer, TargetSpec> targets, List<Skipped> skipped) {
            this(targets, skipped, Accounts.EMPTY);
        }

        Contents(Map<Integer, TargetSpec> targets, List<Skipped> skipped, Accounts accounts) {
            this(targets, skipped, accounts, Map.of());
        }
    }

    private static final String LUN_FORM = "lun TID LUN memory|file|rbd [PATH|POOL/IMAGE] size=BYTES [blocksize=512|4096]"
            + " [readonly=0|1] [removable=0|1] [thin=0|1] [serial=STRING] [physicalblocksize=BYTES]"
            + " [softthreshold=PERCENT] [STORE-OPTION=VALUE...]";
    /**
     * The most words a lun line has besides its store options: the keyword, tid, LUN, type, path,
     * size, blocksize and the six LUN options.
     */
    private static final int LUN_WORDS = 13;

    private TargetsFile() {
    }

    /**
     * Parses the lines of a file; never fails, every problem becomes a {@link Skipped} line.
     * {@code providers} gives the backing store provider of a type, or null while none runs.
     */
    static Contents parse(Function<String, BackingStoreProvider> providers, List<String> lines) {
        Map<Integer, TargetSpec> targets = new TreeMap<>();
        List<Skipped> skipped = new ArrayList<>();
        Accounts[] accounts = {Accounts.EMPTY};
        InitiatorLunMaps[] lunMaps = {InitiatorLunMaps.EMPTY};
        Map<Integer, List<PortGroup>> portGroups = new TreeMap<>();
        for (int i = 0; i < lines.size(); i++) {
            int lineNo = i + 1;
            String text = lines.get(i);
            String line = text.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                String[] words = line.split("\\s+");
                if (words[0].equals(PortGroupLines.KEYWORD)) {
                    PortGroupLines.parse(words, targets, portGroups);
                } else if (words[0].equals(InitiatorLunMaps.KEYWORD)) {
                    lunMaps[0] = lunMaps[0].parse(words, targets);
                } else {
                    parseLine(line, lineNo, targets, accounts, providers);
                }
            } catch (IllegalArgumentException e) {
                skipped.add(new Skipped(lineNo, text, e.getMessage()));
            }
        }
        return new Contents(targets, skipped, accounts[0], portGroups, lunMaps[0]);
    }

    private static void parseLine(String line, int lineNo, Map<Integer, TargetSpec> targets, Accounts[] accounts,
            Function<String, BackingStoreProvider> providers) {
        String[] w = line.split("\\s+");
        switch (w[0]) {
            case "account" -> {
                words(w, 3, 3, "account USER SECRET");
                ConfigValues.checkAccount(w[1], w[2]);
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
                int tid = ConfigValues.tid(w[1]);
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
                if (w.length < 5) {
                    throw new IllegalArgumentException("expected '" + LUN_FORM + "'");
                }
                TargetSpec t = declared(targets, w[1]);
                int lun = ConfigValues.number(w[2], "LUN", 0, ConfigValues.MAX_LUN);
                if (t.luns().containsKey(lun)) {
                    throw new IllegalArgumentException("tid " + t.tid() + " has LUN " + lun + " twice (line "
                            + t.luns().get(lun).line() + ")");
                }
                String type = w[3];
                BackingStoreProvider provider = providers.apply(type);
                int next = 4;
                String path = null;
                if (w[next].indexOf('=') < 0) {   // options are KEY=VALUE; a file's path is absolute (an rbd image's is POOL/IMAGE)
                    path = w[next++];
                    if (type.equals("file") && !Path.of(path).isAbsolute()) {
                        throw new IllegalArgumentException("file path " + path + " is not absolute");
                    }
                }
                Map<String, String> opts = new LinkedHashMap<>();
                Map<String, String> lunOptions = new LinkedHashMap<>();
                Map<String, String> storeOptions = new TreeMap<>();
                for (int j = next; j < w.length; j++) {
                    int eq = w[j].indexOf('=');
                    String key = eq > 0 ? w[j].substring(0, eq) : "";
                    boolean option = ConfigValues.OPTION_KEYS.contains(key);
                    boolean lineKey = key.equals(ConfigValues.SIZE) || key.equals(ConfigValues.BLOCK_SIZE);
                    // a type whose provider is not running yet keeps its store options for the provider to check
                    boolean storeOption = !option && !lineKey && !key.isEmpty()
                            && (provider == null || provider.optionKeys().contains(key));
                    if (!option && !lineKey && !storeOption) {
                        throw new IllegalArgumentException("'" + w[j] + "' is not size=BYTES, blocksize=512|4096, "
                                + "readonly=0|1, removable=0|1, thin=0|1, serial=STRING, physicalblocksize=BYTES or softthreshold=PERCENT"
                                + storeKeys(provider));
                    }
                    Map<String, String> into = option ? lunOptions : lineKey ? opts : storeOptions;
                    if (into.put(key, w[j].substring(eq + 1)) != null) {
                        throw new IllegalArgumentException(key + "= given twice");
                    }
                }
                if (w.length - storeOptions.size() > LUN_WORDS) {
                    throw new IllegalArgumentException("expected '" + LUN_FORM + "'");
                }
                if (!opts.containsKey(ConfigValues.SIZE)) {
                    throw new IllegalArgumentException("size=BYTES is missing");
                }
                long size = ConfigValues.size(opts.get(ConfigValues.SIZE));
                int blockSize = opts.containsKey(ConfigValues.BLOCK_SIZE)
                        ? ConfigValues.blockSize(opts.get(ConfigValues.BLOCK_SIZE)) : ConfigValues.DEFAULT_BLOCK_SIZE;
                ConfigValues.checkFits(size, blockSize);
                LunOptions options = ConfigValues.checkCombination(ConfigValues.lunOptions(lunOptions,
                        defaultOptions(provider)));
                if (provider != null) {
                    provider.checkOptions(storeOptions);
                }
                boolean thinOfType = provider == null && !lunOptions.containsKey(ConfigValues.THIN);
                targets.put(t.tid(), t.withLun(new LunSpec(lun, type, path, size, blockSize, options, storeOptions,
                        thinOfType, lineNo)));
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
                    + "' (target, lun, acl, lunmap, account, incominguser, outgoinguser, portgroup)");
        }
    }

    /** The file's text for {@code targets}, then the skipped lines commented out. */
    static String format(Map<Integer, TargetSpec> targets, List<Skipped> skipped) {
        return format(targets, Accounts.EMPTY, skipped);
    }

    /** The file's text for {@code targets} and {@code accounts}, then the skipped lines commented out. */
    static String format(Map<Integer, TargetSpec> targets, Accounts accounts, List<Skipped> skipped) {
        return format(targets, accounts, Map.of(), InitiatorLunMaps.EMPTY, skipped);
    }

    /** The file's text with the targets' LUN maps too. */
    static String format(Map<Integer, TargetSpec> targets, Accounts accounts, InitiatorLunMaps lunMaps,
            List<Skipped> skipped) {
        return format(targets, accounts, Map.of(), lunMaps, skipped);
    }

    /** The file's text for {@code targets}, {@code accounts} and the port groups of the targets, then the skipped lines. */
    static String format(Map<Integer, TargetSpec> targets, Accounts accounts, Map<Integer, List<PortGroup>> portGroups,
            List<Skipped> skipped) {
        return format(targets, accounts, portGroups, InitiatorLunMaps.EMPTY, skipped);
    }

    /** The file's text: targets, accounts, port groups and LUN maps, then the skipped lines commented out. */
    static String format(Map<Integer, TargetSpec> targets, Accounts accounts, Map<Integer, List<PortGroup>> portGroups,
            InitiatorLunMaps lunMaps,
            List<Skipped> skipped) {
        StringBuilder s = new StringBuilder();
        s.append("# jtgt targets, written by jtgtadm; edit only while jtgt is stopped.\n");
        s.append("# target TID IQN | acl TID ALL|NAME\n");
        if (portGroups.values().stream().anyMatch(g -> !g.isEmpty())) {
            s.append("# ").append(PortGroupLines.FORM).append('\n');
        }
        s.append("# lun TID LUN memory|file|rbd [PATH|POOL/IMAGE] size=BYTES blocksize=512|4096 readonly=0|1 removable=0|1 thin=0|1"
                + " [serial=STRING] [physicalblocksize=BYTES] [softthreshold=PERCENT] [STORE-OPTION=VALUE...]\n");
        if (!lunMaps.maps().isEmpty()) {
            s.append("# " + InitiatorLunMaps.FORM + "\n");
        }
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
            lunMaps.of(t.tid()).forEach((initiator, map) -> s.append(InitiatorLunMaps.format(t.tid(), initiator, map))
                    .append('\n'));
            for (String u : accounts.incoming().getOrDefault(t.tid(), List.of())) {
                s.append("incominguser ").append(t.tid()).append(' ').append(u).append('\n');
            }
            String out = accounts.outgoing().get(t.tid());
            if (out != null) {
                s.append("outgoinguser ").append(t.tid()).append(' ').append(out).append('\n');
            }
            PortGroupLines.format(s, t.tid(), portGroups.getOrDefault(t.tid(), List.of()));
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
    static Contents read(Path file, Function<String, BackingStoreProvider> providers) throws IOException {
        if (!Files.exists(file)) {
            return new Contents(Map.of(), List.of());
        }
        return parse(providers, Files.readAllLines(file, StandardCharsets.UTF_8));
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

    /** The options of a LUN whose line or request sets none: thin as its type has it (unknown: not thin). */
    static LunOptions defaultOptions(BackingStoreProvider provider) {
        return new LunOptions(false, false, provider != null && provider.thinByDefault(), null);
    }

    /** {@code , or for a file LUN direct=0|1} where the type has store options: for messages. */
    private static String storeKeys(BackingStoreProvider provider) {
        if (provider == null || provider.optionKeys().isEmpty()) {
            return "";
        }
        Map<String, String> keys = new TreeMap<>();
        provider.optionKeys().forEach(k -> keys.put(k, provider.optionValues(k)));
        return " or, for a " + provider.type() + " LUN, " + ConfigValues.storeSyntax(keys).substring(2);
    }

    private static void words(String[] w, int min, int max, String form) {
        if (w.length < min || w.length > max) {
            throw new IllegalArgumentException("expected '" + form + "'");
        }
    }

    private static TargetSpec declared(Map<Integer, TargetSpec> targets, String tid) {
        TargetSpec t = targets.get(ConfigValues.tid(tid));
        if (t == null) {
            throw new IllegalArgumentException("tid " + tid + " is not declared by an earlier target line");
        }
        return t;
    }
}
