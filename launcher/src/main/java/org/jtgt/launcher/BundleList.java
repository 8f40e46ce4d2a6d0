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
 * comment. A list rather than a scan of the jar keeps the order fixed and reviewable.
 */
final class BundleList {
    static final String DIRECTORY = "bundles/";
    static final String RESOURCE = DIRECTORY + "bundles.list";

    private BundleList() {
    }

    /** The file names from the launcher's own {@value #RESOURCE}. */
    static List<String> embedded() throws IOException {
        try (InputStream in = BundleList.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException(RESOURCE + " is missing from the launcher jar");
            }
            return parse(in);
        }
    }

    static List<String> parse(InputStream in) throws IOException {
        List<String> names = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            int hash = line.indexOf('#');
            String name = (hash >= 0 ? line.substring(0, hash) : line).strip();
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        return names;
    }
}
