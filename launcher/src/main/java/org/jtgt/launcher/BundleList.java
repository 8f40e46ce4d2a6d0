package org.jtgt.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The bundles embedded in the launcher jar, in install and start order: the resource
 * {@value #RESOURCE} lists file names under {@value #DIRECTORY}, one a line, {@code #} starts a
 * comment. A list rather than a scan of the jar keeps the order fixed and reviewable. A name may
 * be followed by the roles it runs in ({@code jtgt-host.jar embedded,front}); without, it runs in
 * every role.
 */
final class BundleList {
    static final String DIRECTORY = "bundles/";
    static final String RESOURCE = DIRECTORY + "bundles.list";

    private BundleList() {
    }

    /** Every file name from the launcher's own {@value #RESOURCE}. */
    static List<String> embedded() throws IOException {
        return embedded(null);
    }

    /** The file names from the launcher's own {@value #RESOURCE} that run in {@code role} (null: all). */
    static List<String> embedded(Role role) throws IOException {
        try (InputStream in = BundleList.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException(RESOURCE + " is missing from the launcher jar");
            }
            return parse(in, role);
        }
    }

    static List<String> parse(InputStream in) throws IOException {
        return parse(in, null);
    }

    static List<String> parse(InputStream in, Role role) throws IOException {
        List<String> names = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            int hash = line.indexOf('#');
            String[] words = (hash >= 0 ? line.substring(0, hash) : line).strip().split("\\s+");
            if (words[0].isEmpty()) {
                continue;
            }
            if (words.length > 2) {
                throw new IOException(RESOURCE + ": '" + line + "' is NAME [ROLE,...]");
            }
            List<String> roles = words.length == 2 ? List.of(words[1].split(",")) : List.of();
            for (String r : roles) {
                Role.named(r);
            }
            if (role == null || role.runs(roles)) {
                names.add(words[0]);
            }
        }
        return names;
    }
}
