package org.jtgt.config;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

import org.jtgt.api.config.ConfigValues;
import org.jtgt.config.TargetsFile.TargetSpec;

/**
 * The LUN maps per initiator of the targets jtgtadm manages ({@code --mode lunmap}), as
 * {@code targets.conf} keeps them, one line per initiator after the target's ACL:
 *
 * <pre>
 * lunmap TID INITIATOR-NAME [MAPPED-LUN=LUN ...]    the initiator's LUN MAPPED-LUN is the target's LUN
 * </pre>
 *
 * A line without pairs is a map that shows the initiator nothing. Each LUN must have a
 * {@code lun} line before, and neither a mapped LUN nor a LUN may come twice in a line.
 *
 * @param maps tid → initiator name (ignoring case) → mapped LUN → the target's LUN, all sorted
 */
record InitiatorLunMaps(Map<Integer, Map<String, Map<Integer, Integer>>> maps) {
    static final InitiatorLunMaps EMPTY = new InitiatorLunMaps(Map.of());
    static final String KEYWORD = "lunmap";
    static final String FORM = "lunmap TID INITIATOR-NAME [MAPPED-LUN=LUN ...]";

    InitiatorLunMaps {
        Map<Integer, Map<String, Map<Integer, Integer>>> copy = new TreeMap<>();
        maps.forEach((tid, byInitiator) -> {
            Map<String, Map<Integer, Integer>> m = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            byInitiator.forEach((i, map) -> m.put(i, Collections.unmodifiableMap(new TreeMap<>(map))));
            if (!m.isEmpty()) {
                copy.put(tid, Collections.unmodifiableMap(m));
            }
        });
        maps = Collections.unmodifiableMap(copy);
    }

    /** The maps of {@code tid}: initiator → mapped LUN → LUN; empty if none. */
    Map<String, Map<Integer, Integer>> of(int tid) {
        return maps.getOrDefault(tid, Map.of());
    }

    /** The map of {@code initiator} on {@code tid}, or null. */
    Map<Integer, Integer> of(int tid, String initiator) {
        return of(tid).get(initiator);
    }

    /** With {@code initiator}'s map on {@code tid} set to {@code map}, or removed for null. */
    InitiatorLunMaps with(int tid, String initiator, Map<Integer, Integer> map) {
        Map<Integer, Map<String, Map<Integer, Integer>>> next = new TreeMap<>(maps);
        Map<String, Map<Integer, Integer>> m = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        m.putAll(of(tid));
        if (map == null) {
            m.remove(initiator);
        } else {
            m.remove(initiator);   // the name as given last
            m.put(initiator, map);
        }
        next.put(tid, m);
        return new InitiatorLunMaps(next);
    }

    /** Only the maps of {@code tids} (a deleted target's go with it). */
    InitiatorLunMaps only(Collection<Integer> tids) {
        Map<Integer, Map<String, Map<Integer, Integer>>> next = new TreeMap<>(maps);
        next.keySet().retainAll(tids);
        return next.size() == maps.size() ? this : new InitiatorLunMaps(next);
    }

    /** The initiators whose map on {@code tid} names the target's LUN {@code lun}, with their number for it. */
    Map<String, Integer> usersOf(int tid, int lun) {
        Map<String, Integer> out = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        of(tid).forEach((initiator, map) -> map.forEach((mapped, l) -> {
            if (l == lun) {
                out.put(initiator, mapped);
            }
        }));
        return out;
    }

    /** The {@code lunmap} line of one map. */
    static String format(int tid, String initiator, Map<Integer, Integer> map) {
        StringBuilder s = new StringBuilder(KEYWORD).append(' ').append(tid).append(' ').append(initiator);
        map.forEach((mapped, lun) -> s.append(' ').append(mapped).append('=').append(lun));
        return s.toString();
    }

    /** For replies and show: {@code LUN 2 as 0, LUN 0 as 1}, or {@code no LUN}. */
    static String describe(Map<Integer, Integer> map) {
        if (map.isEmpty()) {
            return "no LUN";
        }
        StringBuilder s = new StringBuilder();
        map.forEach((mapped, lun) -> s.append(s.length() == 0 ? "" : ", ").append("LUN ").append(lun).append(" as ")
                .append(mapped));
        return s.toString();
    }

    /**
     * Parses a {@code lunmap} line's words into {@code this} plus its map; the target must be
     * declared and hold every LUN the line names.
     */
    InitiatorLunMaps parse(String[] w, Map<Integer, TargetSpec> targets) {
        if (w.length < 3) {
            throw new IllegalArgumentException("expected '" + FORM + "'");
        }
        TargetSpec t = targets.get(ConfigValues.tid(w[1]));
        if (t == null) {
            throw new IllegalArgumentException("tid " + w[1] + " is not declared by an earlier target line");
        }
        String initiator = w[2];
        checkInitiator(initiator);
        if (of(t.tid(), initiator) != null) {
            throw new IllegalArgumentException("tid " + t.tid() + " has a LUN map of " + initiator + " already");
        }
        Map<Integer, Integer> map = new TreeMap<>();
        for (int i = 3; i < w.length; i++) {
            int eq = w[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("'" + w[i] + "' is not MAPPED-LUN=LUN");
            }
            int mapped = ConfigValues.number(w[i].substring(0, eq), "mapped LUN", 0, ConfigValues.MAX_LUN);
            int lun = ConfigValues.number(w[i].substring(eq + 1), "LUN", 0, ConfigValues.MAX_LUN);
            if (!t.luns().containsKey(lun)) {
                throw new IllegalArgumentException("tid " + t.tid() + " has no LUN " + lun
                        + " (its lun line must come first)");
            }
            if (map.containsKey(mapped)) {
                throw new IllegalArgumentException("mapped LUN " + mapped + " is given twice");
            }
            if (map.containsValue(lun)) {
                throw new IllegalArgumentException("LUN " + lun + " is mapped twice");
            }
            map.put(mapped, lun);
        }
        return with(t.tid(), initiator, map);
    }

    /** An initiator name as an ACL entry takes it: no white space, no comma, not {@code ALL}. */
    static void checkInitiator(String initiator) {
        if (initiator.isBlank() || initiator.chars().anyMatch(ch -> Character.isWhitespace(ch) || ch == ',')
                || initiator.equalsIgnoreCase(ConfigValues.ALL)) {
            throw new IllegalArgumentException("'" + initiator + "' is not an initiator name");
        }
    }
}
