package org.jtgt.launcher;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;

/**
 * fio with its libiscsi engine, which Debian's fio lacks: {@code JTGT_FIO_BIN}, else
 * {@code bench/target/fio-build/fio} as {@code scripts/build-fio-libiscsi.sh bench/target/fio-build}
 * (run by {@code .ci/run}) builds it. Missing, it skips the test, or fails it where {@code CI=true}.
 *
 * <p>One job in the background: it runs until {@link #stop()} creates its trigger file (fio then
 * ends its job as at the end of its run time, exit status 0 unless the job failed), and its
 * result is fio's json output.
 */
final class FioLibiscsi {
    static final Path BUILT = LauncherProcess.TARGET.getParent().getParent().resolve("bench/target/fio-build/fio");
    private static final Pattern ERROR = Pattern.compile("\"error\" : (\\d+)");

    final Process process;
    private final Path trigger;
    private final Path json;
    private final Path log;

    /** The json's totals of one fio job. */
    record Result(int error, long reads, long writes, long maxReadMicros, long maxWriteMicros) {
    }

    private FioLibiscsi(Process process, Path dir) {
        this.process = process;
        this.trigger = dir.resolve("stop");
        this.json = dir.resolve("fio.json");
        this.log = dir.resolve("fio.log");
    }

    /** The fio binary to use; skips (CI: fails) the test when there is none with the libiscsi engine. */
    static Path require() throws IOException, InterruptedException {
        String named = System.getenv("JTGT_FIO_BIN");
        Path fio = named != null && !named.isEmpty() ? Path.of(named) : BUILT;
        String problem = null;
        if (!Files.isExecutable(fio)) {
            problem = fio + " does not exist";
        } else {
            Process p = new ProcessBuilder(fio.toString(), "--enghelp").redirectErrorStream(true).start();
            String engines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            if (!engines.lines().anyMatch(l -> l.strip().equals("libiscsi"))) {
                problem = fio + " has no libiscsi engine (fio --enghelp)";
            }
        }
        if (problem == null) {
            return fio;
        }
        String reason = "fio with the libiscsi engine: " + problem + "; build it with"
                + " scripts/build-fio-libiscsi.sh bench/target/fio-build (or set JTGT_FIO_BIN)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(reason);
        }
        System.out.println("SKIPPED: " + reason);
        Assumptions.abort(reason);
        return null;
    }

    /**
     * Starts fio in {@code dir}: 4 KiB random reads and writes at queue depth {@code depth}, each
     * write carrying a crc32c that fio checks when it reads the block back (every 64 writes, and
     * over the whole LUN after each pass), the first mismatch fatal; {@code iops} reads and as many
     * writes a second at most; for at most {@code seconds}, or until {@link #stop()}.
     */
    static FioLibiscsi start(Path fio, Path dir, String initiator, String host, int port, String target, int lun,
            long bytes, int depth, int iops, int seconds) throws IOException {
        Files.createDirectories(dir);
        // fio separates file names with ':', so those in the URL are escaped.
        String url = ("iscsi://" + host + ":" + port + "/" + target + "/" + lun).replace(":", "\\:");
        List<String> command = new ArrayList<>(List.of(fio.toString(), "--name=split-fio", "--ioengine=libiscsi",
                "--initiator=" + initiator, "--filename=" + url, "--rw=randrw", "--bs=4k", "--iodepth=" + depth,
                "--size=" + bytes, "--loops=1000000", "--runtime=" + seconds, "--rate_iops=" + iops,
                "--verify=crc32c", "--do_verify=1", "--verify_fatal=1", "--verify_backlog=64",
                "--verify_state_save=0", "--trigger-file=" + dir.resolve("stop"), "--output-format=json",
                "--output=" + dir.resolve("fio.json")));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("fio.log").toFile());
        builder.environment().put("TMPDIR", dir.toString());
        Files.deleteIfExists(dir.resolve("stop"));
        Files.deleteIfExists(dir.resolve("fio.json"));
        return new FioLibiscsi(builder.start(), dir);
    }

    /** What fio printed besides its json (errors, verify failures). */
    String log() throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : "";
    }

    /** Ends the job (the trigger file), waits for fio's exit and returns its json's totals; fails if fio failed. */
    Result stop() throws IOException, InterruptedException {
        Files.createFile(trigger);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "fio did not end within 60 s of its trigger:\n" + log());
        String out = Files.exists(json) ? Files.readString(json, StandardCharsets.UTF_8) : "";
        assertTrue(process.exitValue() == 0, "fio exited with " + process.exitValue() + ":\n" + log() + out);
        Matcher error = ERROR.matcher(out);
        assertTrue(error.find(), "no job error field in fio's json:\n" + out);
        return new Result(Integer.parseInt(error.group(1)), number(out, "read", "total_ios"),
                number(out, "write", "total_ios"), number(out, "read", "max") / 1000,
                number(out, "write", "max") / 1000);
    }

    /**
     * {@code field} of the job's {@code ddir} object: {@code total_ios} is among its plain fields,
     * {@code max} the first one after them (clat_ns's, since slat_ns comes first: the second).
     */
    private static long number(String json, String ddir, String field) {
        Matcher m = Pattern.compile("\"" + ddir + "\" : \\{[^{}]*\"total_ios\" : (\\d+)"
                + "[^{}]*\"slat_ns\" : \\{[^{}]*\"max\" : (\\d+)[^{}]*\\}[^{}]*\"clat_ns\" : \\{[^{}]*\"max\" : (\\d+)")
                .matcher(json);
        assertTrue(m.find(), "no " + ddir + " totals in fio's json:\n" + json);
        return Long.parseLong(field.equals("total_ios") ? m.group(1) : m.group(3));
    }
}
