package org.jtgt.iscsi;

import java.util.HashMap;
import java.util.Map;

/**
 * Runs the fixture in the foreground for manual interop experiments:
 * {@code java -cp ... org.jtgt.iscsi.IscsiTestServer [lunMiB] [key=value ...]} prints the URL and
 * serves until killed. Not a test.
 */
public final class IscsiTestServer {
    private IscsiTestServer() {
    }

    public static void main(String[] args) throws Exception {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 64;
        Map<String, Object> overrides = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            overrides.put(kv[0], kv[1].matches("-?[0-9]+") ? (Object) Integer.valueOf(kv[1]) : kv[1]);
        }
        try (IscsiFixture f = new IscsiFixture(mib << 20, overrides)) {
            System.out.println("READY " + f.url());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
