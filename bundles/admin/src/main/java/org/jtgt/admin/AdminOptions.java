package org.jtgt.admin;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A jtgtadm command line parsed the way tgtadm parses its own (getopt_long): long options with
 * their argument as the next word or after {@code =}, the short forms tgtadm uses, and flags.
 * Only syntax is checked here; what a mode and operation need is checked by the command.
 */
final class AdminOptions {
    /** One option: its long name, tgtadm's short form, and whether it takes an argument. */
    private record Spec(String name, char shortName, boolean takesArgument) {
    }

    private static final List<Spec> SPECS = List.of(
            new Spec("lld", 'L', true),
            new Spec("op", 'o', true),
            new Spec("mode", 'm', true),
            new Spec("tid", 't', true),
            new Spec("sid", 's', true),
            new Spec("cid", 'c', true),
            new Spec("lun", 'l', true),
            new Spec("mapped-lun", 'M', true),
            new Spec("name", 'n', true),
            new Spec("value", 'v', true),
            new Spec("backing-store", 'b', true),
            new Spec("bstype", 'E', true),
            new Spec("blocksize", 'y', true),
            new Spec("size", 'S', true),
            new Spec("params", 'P', true),
            new Spec("targetname", 'T', true),
            new Spec("initiator-address", 'I', true),
            new Spec("initiator-name", 'Q', true),
            new Spec("user", 'u', true),
            new Spec("password", 'p', true),
            new Spec("force", 'F', false),
            new Spec("outgoing", 'O', false));

    /** Thrown for a command line that does not parse; the message says why. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    private final Map<String, String> values;

    private AdminOptions(Map<String, String> values) {
        this.values = values;
    }

    static AdminOptions parse(List<String> args) throws UsageException {
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String word = args.get(i);
            Spec spec;
            String inline = null;
            if (word.startsWith("--")) {
                int eq = word.indexOf('=');
                String name = eq > 0 ? word.substring(2, eq) : word.substring(2);
                inline = eq > 0 ? word.substring(eq + 1) : null;
                spec = SPECS.stream().filter(s -> s.name.equals(name)).findFirst()
                        .orElseThrow(() -> new UsageException("unknown option --" + name));
            } else if (word.length() >= 2 && word.charAt(0) == '-') {
                char c = word.charAt(1);
                inline = word.length() > 2 ? word.substring(2) : null;
                spec = SPECS.stream().filter(s -> s.shortName == c).findFirst()
                        .orElseThrow(() -> new UsageException("unknown option -" + c));
            } else {
                throw new UsageException("unexpected argument '" + word + "'");
            }
            String value;
            if (!spec.takesArgument) {
                if (inline != null) {
                    throw new UsageException("option --" + spec.name + " takes no argument");
                }
                value = "";
            } else if (inline != null) {
                value = inline;
            } else if (i + 1 < args.size()) {
                value = args.get(++i);
            } else {
                throw new UsageException("option --" + spec.name + " needs an argument");
            }
            if (values.put(spec.name, value) != null) {
                throw new UsageException("option --" + spec.name + " given twice");
            }
        }
        return new AdminOptions(values);
    }

    /** The option's argument, or null if it was not given. */
    String get(String name) {
        return values.get(name);
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    /** The option's argument; a usage error if it was not given. */
    String require(String name, String why) throws UsageException {
        String v = values.get(name);
        if (v == null || v.isEmpty()) {
            throw new UsageException("--" + name + " is required " + why);
        }
        return v;
    }
}
