package org.jtgt.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.jtgt.api.target.ChapAccounts;
import org.jtgt.config.TargetsFile.TargetSpec;

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

    /** tgtadm's {@code --op show --mode account}: the account names, each with the targets it is bound to; never a secret. */
    String show() {
        StringBuilder out = new StringBuilder("Account list:\n");
        if (secrets.isEmpty()) {
            out.append("    (none)\n");
        }
        for (String user : secrets.keySet()) {
            List<String> bound = bindingsOf(user);
            out.append("    ").append(user).append(bound.isEmpty() ? "" : " (" + String.join(", ", bound) + ")")
                    .append('\n');
        }
        return out.toString();
    }

    /** The users bound to {@code tid}, for show: incoming, then "NAME (outgoing)". */
    List<String> usersOf(int tid) {
        List<String> out = new ArrayList<>(incoming.getOrDefault(tid, List.of()));
        String o = outgoing.get(tid);
        if (o != null) {
            out.add(o + " (outgoing)");
        }
        return out;
    }

    /**
     * What the iSCSI driver is told for each of {@code targets} with an incoming user, by IQN in
     * lower case (iSCSI names fold case).
     */
    Map<String, ChapAccounts.TargetChap> chapByTarget(Collection<TargetSpec> targets) {
        Map<String, ChapAccounts.TargetChap> out = new HashMap<>();
        for (TargetSpec t : targets) {
            List<String> in = incoming.getOrDefault(t.tid(), List.of());
            if (in.isEmpty()) {
                continue;   // an outgoing user alone does not replace the configured incoming account
            }
            Map<String, String> users = new LinkedHashMap<>();
            for (String u : in) {
                users.put(u, secrets.get(u));
            }
            String out1 = outgoing.get(t.tid());
            out.put(t.iqn().toLowerCase(Locale.ROOT), new ChapAccounts.TargetChap(users, out1,
                    out1 == null ? null : secrets.get(out1)));
        }
        return Map.copyOf(out);
    }
}
