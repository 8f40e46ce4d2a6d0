package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

import org.jtgt.testkit.ExternalTool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Runs the packaged {@code target/jtgt.jar} as its own process, the way a user does. */
class LauncherIT {
    private static final Path JAR = LauncherProcess.JAR;
    private static final Path TARGET = LauncherProcess.TARGET;
    private static final Pattern STARTED = Pattern.compile("jtgt started: (\\d+) bundles active");
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    @RegisterExtension
    final Processes processes = new Processes();

    @Test
    void startsEveryBundleAndStopsCleanlyOnSigterm() throws Exception {
        Path config = TARGET.resolve("launcher-it");
        LauncherProcess launcher = start("--config", config.toString(), "--portal", "127.0.0.1:0");

        String startedLine = launcher.output.await(STARTED, 120);
        Matcher started = STARTED.matcher(startedLine);
        assertTrue(started.find());
        assertEquals(embeddedBundleCount(), Integer.parseInt(started.group(1)), launcher.output.text());
        assertFalse(launcher.output.text().contains("started with errors"), launcher.output.text());
        assertTrue(Files.isDirectory(config.resolve("felix-cache")), "framework cache under --config");

        // jtgtadm, next to jtgt.jar, reaches this instance through the socket in --config
        String socket = config.resolve("control.sock").toString();
        String shown = LauncherProcess.jtgtadm(0, "--control", socket, "--mode", "system", "--op", "show");
        assertTrue(shown.contains("    direct (active)"), shown);
        assertTrue(shown.contains("Target: iqn.2026-11.org.jtgt:default"), shown);
        String refused = LauncherProcess.jtgtadm(1, "--control", socket, "-m", "transport", "-o", "swap", "-n", "pigeon");
        assertTrue(refused.contains("jtgtadm: no transport named 'pigeon' is registered"), refused);
        String usage = LauncherProcess.jtgtadm(2, "--control", socket, "--mode", "transport");
        assertTrue(usage.contains("--op is required"), usage);
        String nobody = LauncherProcess.jtgtadm(3, "--control", TARGET.resolve("no-such.sock").toString(), "-m", "system",
                "-o", "show");
        assertTrue(nobody.contains("no jtgt answers at"), nobody);

        LauncherProcess second = start("--config", config.toString(), "--portal", "127.0.0.1:0");
        assertTrue(second.process.waitFor(30, TimeUnit.SECONDS), "a second launcher on the same --config kept running");
        second.output.join();
        assertEquals(1, second.process.exitValue(), second.output.text());
        assertTrue(second.output.text().contains("is in use by another jtgt process"), second.output.text());
        assertTrue(launcher.process.isAlive(), "the first launcher died:\n" + launcher.output.text());

        // SIGTERM on Linux. Not Process.destroy(): that also closes our end of the output pipe,
        // and the lines the launcher logs while it stops would be lost.
        assertTrue(launcher.process.toHandle().destroy(), "SIGTERM not sent");
        assertTrue(launcher.process.waitFor(30, TimeUnit.SECONDS), "no exit within 30 s of SIGTERM:\n"
                + launcher.output.text());
        launcher.output.join();
        String output = launcher.output.text();
        assertEquals(0, launcher.process.exitValue(), output);
        assertTrue(output.contains("SIGTERM: stopping jtgt"), output);
        assertTrue(output.contains("jtgt stopped"), output);
        assertFalse(output.contains(" ERROR "), output);
    }

    @Test
    void componentConfigurationComesFromTheEtcDirectoryAndIsReappliedWhenItChanges() throws Exception {
        Path config = TARGET.resolve("launcher-it-etc");
        Path etc = config.resolve("etc");
        deleteTree(config);
        Files.createDirectories(etc);
        Path hostCfg = etc.resolve("org.jtgt.host.cfg");
        Files.writeString(hostCfg, "# the host side's preferred transport\ntransport = netlink\n");
        LauncherProcess launcher = start("--config", config.toString(), "--portal", "127.0.0.1:0");
        launcher.output.await(STARTED, 120);
        String socket = config.resolve("control.sock").toString();
        awaitTransport(socket, "netlink", launcher);

        Files.writeString(hostCfg, "transport = shm\n");
        awaitTransport(socket, "shm", launcher);
        Files.writeString(hostCfg, "transport = netlink\n");
        awaitTransport(socket, "netlink", launcher);

        // Stopped while the netlink transport is active: the host side detaches before the
        // daemon goes, so nothing reports a failed transport.
        assertTrue(launcher.process.toHandle().destroy(), "SIGTERM not sent");
        assertTrue(launcher.process.waitFor(30, TimeUnit.SECONDS), launcher.output.text());
        launcher.output.join();
        assertEquals(0, launcher.process.exitValue(), launcher.output.text());
        assertFalse(launcher.output.text().contains(" ERROR "), launcher.output.text());
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) paths.sorted(java.util.Comparator.reverseOrder())::iterator) {
                    Files.delete(p);
                }
            }
        }
    }

    private static void awaitTransport(String socket, String name, LauncherProcess launcher) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String shown;
        do {
            shown = LauncherProcess.jtgtadm(0, "--control", socket, "--mode", "transport", "--op", "show");
            if (shown.contains("    " + name + " (active)")) {
                return;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(name + " did not become active:\n" + shown + "\n" + launcher.output.text());
    }

    /**
     * {@code --portal} with two portals reaches the iSCSI driver: two listeners, TPGT 1 and 2,
     * relative target ports 1 and 2, and SendTargets (iscsi-ls) lists both with their tags.
     */
    @Test
    void twoPortalsAreTwoTargetPorts() throws Exception {
        Path config = TARGET.resolve("launcher-it-portals");
        deleteTree(config);
        LauncherProcess launcher = LauncherProcess.start(List.of("-Djtgt.fc.portal=127.0.0.1:0",
                "-Djtgt.default.target.size=16777216"), "--config", config.toString(), "--portal", "127.0.0.1:0,127.0.0.1:0");
        processes.add(launcher.process);
        launcher.output.await(STARTED, 120);
        int[] ports = new int[2];
        for (int i = 0; i < 2; i++) {
            Pattern listening = Pattern.compile("iSCSI portal listening on 127\\.0\\.0\\.1:(\\d+), TPGT " + (i + 1)
                    + ", relative target port " + (i + 1) + "$");
            Matcher m = listening.matcher(launcher.output.await(listening, 10));
            assertTrue(m.find());
            ports[i] = Integer.parseInt(m.group(1));
        }
        assertTrue(ports[0] != ports[1], launcher.output.text());

        ExternalTool.require("iscsi-ls", "libiscsi-bin");
        String listed = new ExternalTool(config.resolve("tools"), java.time.Duration.ofSeconds(60))
                .run("iscsi-ls", "-s", "iscsi://127.0.0.1:" + ports[1] + "/");
        assertTrue(listed.contains("Portal:127.0.0.1:" + ports[0] + ",1"), listed);
        assertTrue(listed.contains("Portal:127.0.0.1:" + ports[1] + ",2"), listed);

        assertTrue(launcher.process.toHandle().destroy(), "SIGTERM not sent");
        assertTrue(launcher.process.waitFor(30, TimeUnit.SECONDS), launcher.output.text());
        assertEquals(0, launcher.process.exitValue(), launcher.output.text());
    }

    /**
     * Nothing jtgt writes is readable by other local users: on a fresh --config every file and
     * directory it creates (the region with the initiators' data, the sockets, targets.conf, the
     * lock, etc/) is owner-only, and so is a LUN file it creates. Felix writes its own cache files
     * with the umask's mode; the 0700 --config directory around them is what keeps others out, so
     * for those only that is asserted. A --config an older version left readable is narrowed to
     * 0700 on the next start, with a log line.
     */
    @Test
    void everythingJtgtWritesIsOwnerOnlyAndAReadableConfigIsNarrowed() throws Exception {
        Path work = TARGET.resolve("launcher-it-modes");
        deleteTree(work);
        Files.createDirectories(work);
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path config = work.resolve("config");
        Path lunFile = work.resolve("lun1.img");
        LauncherProcess launcher = LauncherProcess.startOn(config);
        processes.add(launcher.process);
        String control = config.resolve("control.sock").toString();
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "target", "--tid", "1", "-T",
                "iqn.2026-11.org.jtgt:modes");
        LauncherProcess.jtgtadmAt(control, 0, "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "0",
                "-b", lunFile.toString(), "--size", "1048576");

        List<String> wider = new ArrayList<>();
        List<String> jtgtFiles = new ArrayList<>();
        int felixFiles = 0;
        try (Stream<Path> all = Files.walk(config)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                String name = p.equals(config) ? "." : config.relativize(p).toString();
                boolean felix = name.startsWith("felix-cache") && !p.getFileName().toString().startsWith("jtgt-");
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                if (felix) {
                    felixFiles++;
                    continue;
                }
                jtgtFiles.add(name.replaceAll("-\\d+-\\d+\\.", "-PID-ID."));
                if (!OWNER_ONLY.containsAll(perms)) {
                    wider.add(name + " " + PosixFilePermissions.toString(perms));
                }
            }
        }
        assertEquals(List.of(), wider, "files and directories of jtgt's that others may use");
        assertEquals("rwx------", mode(config), "the --config directory");
        assertEquals("rw-------", mode(lunFile), "a LUN file jtgt created");
        for (String expected : List.of(".", "jtgt.lock", "etc", "control.sock", "targets.conf", "jtgt-netlink-PID-ID.sock")) {
            assertTrue(jtgtFiles.contains(expected), expected + " not among " + jtgtFiles);
        }
        Path region;
        try (Stream<Path> all = Files.walk(config.resolve("felix-cache"))) {
            region = all.filter(p -> p.getFileName().toString().matches("jtgt-shm-\\d+-\\d+\\.region")).findFirst()
                    .orElseThrow(() -> new AssertionError("no region file under felix-cache: " + jtgtFiles));
        }
        assertEquals("rw-------", mode(region), "the shared-memory region");
        try (Stream<Path> all = Files.walk(config.resolve("felix-cache"))) {
            assertTrue(all.anyMatch(p -> p.getFileName().toString().startsWith("libjnidispatch")),
                    "the file store loaded JNA's native part from its Bundle-NativeCode, in the framework's cache");
        }
        assertFalse(launcher.output.text().contains("JNA is not usable"), launcher.output.text());
        assertEquals("rwx------", mode(region.getParent()), "the shm bundle's data area");
        assertTrue(felixFiles > 0, "the framework cache is under --config");
        launcher.stopCleanly();

        // as an older version left it: the umask's mode
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rwxr-xr-x"));
        LauncherProcess again = LauncherProcess.startOn(config);
        processes.add(again.process);
        again.output.await(Pattern.compile("INFO ConfigDirectory - " + Pattern.quote(config.toString())
                + " was mode rwxr-xr-x: narrowed to rwx------"), 10);
        assertEquals("rwx------", mode(config));
        again.stopCleanly();
    }

    /**
     * {@code --framework equinox}: the same bundles all active in Eclipse Equinox, named in the
     * start-up line; an iSCSI initiator reaches the default target; Equinox's storage (and the
     * copy of its jar) is in --config, owner-only like everything jtgt writes there, and nothing
     * lands in the home or working directory (Equinox's user and instance areas default there);
     * a clean stop on SIGTERM with no framework error or warning entry.
     */
    @Test
    void equinoxRunsTheSameBundlesWithEverythingInTheConfigDirectory() throws Exception {
        Path work = TARGET.resolve("launcher-it-equinox");
        deleteTree(work);
        Path home = work.resolve("home");
        Path cwd = work.resolve("cwd");
        Files.createDirectories(home);
        Files.createDirectories(cwd);
        Path config = work.resolve("config");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + work, "-Duser.home=" + home, "-Djtgt.fc.portal=127.0.0.1:0",
                "-Djtgt.default.target.size=16777216", "-jar", JAR.toAbsolutePath().toString(),
                "--framework", "equinox", "--config", config.toString(), "--portal", "127.0.0.1:0", "--http", "127.0.0.1:0"));
        Process process = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true).start();
        processes.add(process);
        LauncherProcess.Output output = new LauncherProcess.Output(process.getInputStream());

        Matcher started = STARTED.matcher(output.await(STARTED, 120));
        assertTrue(started.find());
        assertEquals(embeddedBundleCount(), Integer.parseInt(started.group(1)), output.text());
        assertTrue(output.text().contains(" starting in Eclipse Equinox; config " + config), output.text());
        assertFalse(output.text().contains("started with errors"), output.text());

        Matcher portal = LauncherProcess.PORTAL.matcher(output.await(LauncherProcess.PORTAL, 10));
        assertTrue(portal.find());
        ExternalTool.require("iscsi-inq", "libiscsi-bin");
        String inquiry = new ExternalTool(work.resolve("tools"), java.time.Duration.ofSeconds(60))
                .run("iscsi-inq", "iscsi://127.0.0.1:" + portal.group(1) + "/iqn.2026-11.org.jtgt:default/0");
        assertTrue(inquiry.contains("Product:VIRTUAL-DISK"), inquiry);
        String shown = LauncherProcess.jtgtadm(0, "--control", config.resolve("control.sock").toString(),
                "--mode", "system", "--op", "show");
        assertTrue(shown.contains("    direct (active)"), shown);
        // the metrics bundle's JDK HTTP server (com.sun.net.httpserver from Equinox's system bundle)
        Matcher http = Pattern.compile("metrics: HTTP on http://127\\.0\\.0\\.1:(\\d+)/").matcher(
                output.await(Pattern.compile("metrics: HTTP on http://127\\.0\\.0\\.1:\\d+/"), 10));
        assertTrue(http.find());
        java.net.http.HttpResponse<String> metrics = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + http.group(1) + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("jtgt_lun_commands_total{target=\"iqn.2026-11.org.jtgt:default\",lun=\"0\"} "),
                metrics.body());

        assertTrue(Files.isDirectory(config.resolve("equinox-cache").resolve("org.eclipse.osgi")), "Equinox storage");
        assertFalse(Files.exists(config.resolve("felix-cache")));
        List<String> wider = new ArrayList<>();
        try (Stream<Path> all = Files.walk(config)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                String name = p.equals(config) ? "." : config.relativize(p).toString();
                // Equinox's own files: the umask's mode inside the 0700 --config, as Felix's
                if (name.startsWith("equinox-cache") && !p.getFileName().toString().startsWith("jtgt-")) {
                    continue;
                }
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                if (!OWNER_ONLY.containsAll(perms)) {
                    wider.add(name + " " + PosixFilePermissions.toString(perms));
                }
            }
        }
        assertEquals(List.of(), wider, "files and directories of jtgt's that others may use");
        assertEquals("rw-------", mode(config.resolve(OsgiFramework.EQUINOX_JAR)), "the copy of Equinox's jar");
        Path region;
        try (Stream<Path> all = Files.walk(config.resolve("equinox-cache"))) {
            region = all.filter(p -> p.getFileName().toString().matches("jtgt-shm-\\d+-\\d+\\.region")).findFirst()
                    .orElseThrow(() -> new AssertionError("no region file under equinox-cache"));
        }
        assertEquals("rw-------", mode(region), "the shared-memory region");
        assertEquals("rwx------", mode(region.getParent()), "the shm bundle's data area");
        try (Stream<Path> homeFiles = Files.list(home); Stream<Path> cwdFiles = Files.list(cwd)) {
            assertEquals(List.of(), homeFiles.toList(), "written in the home directory");
            assertEquals(List.of(), cwdFiles.toList(), "written in the working directory");
        }

        assertTrue(process.toHandle().destroy(), "SIGTERM not sent");
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), output.text());
        output.join();
        assertEquals(0, process.exitValue(), output.text());
        assertTrue(output.text().contains("jtgt stopped"), output.text());
        assertFalse(output.text().contains(" ERROR "), output.text());
        assertFalse(output.text().contains("!ENTRY"), output.text());
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void unknownOptionExitsWithStatusTwoAndUsage() throws Exception {
        LauncherProcess launcher = start("--bogus");
        assertTrue(launcher.process.waitFor(30, TimeUnit.SECONDS));
        launcher.output.join();
        String output = launcher.output.text();
        assertEquals(2, launcher.process.exitValue(), output);
        assertTrue(output.contains("jtgt: unknown option --bogus"), output);
        assertTrue(output.contains("usage: java -jar jtgt.jar"), output);
    }

    @Test
    void missingArgumentExitsWithStatusTwo() throws Exception {
        LauncherProcess launcher = start("--config");
        assertTrue(launcher.process.waitFor(30, TimeUnit.SECONDS));
        launcher.output.join();
        assertEquals(2, launcher.process.exitValue(), launcher.output.text());
        assertTrue(launcher.output.text().contains("option --config needs an argument DIR"), launcher.output.text());
    }

    @Test
    void helpListsTheOptionsAndExitsZero() throws Exception {
        LauncherProcess launcher = start("--help");
        assertTrue(launcher.process.waitFor(30, TimeUnit.SECONDS));
        launcher.output.join();
        String output = launcher.output.text();
        assertEquals(0, launcher.process.exitValue(), output);
        assertTrue(output.contains("--config DIR"), output);
        assertTrue(output.contains("--help"), output);
        assertFalse(Files.exists(TARGET.resolve("jtgt-data")), "--help must not create the default config dir");
    }

    private LauncherProcess start(String... args) throws IOException {
        LauncherProcess launcher = LauncherProcess.start(args);
        processes.add(launcher.process);
        return launcher;
    }

    private static int embeddedBundleCount() throws IOException {
        try (ZipFile jar = new ZipFile(JAR.toFile());
                InputStream list = jar.getInputStream(jar.getEntry(BundleList.RESOURCE))) {
            return BundleList.parse(list).size();
        }
    }
}
