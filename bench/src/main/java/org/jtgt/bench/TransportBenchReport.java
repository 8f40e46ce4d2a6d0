package org.jtgt.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.util.Statistics;

/**
 * Runs JMH with the usual command line (the options of {@code org.openjdk.jmh.Main}), then prints
 * one line per measure of {@link TransportBench}: shm, netlink, and shm/netlink. Used by
 * {@code run-transport-bench.sh}; with {@code -Dtable=<file>} the table is also written there.
 */
public final class TransportBenchReport {
    private static final List<String> SHM_NETLINK = List.of("shm", "netlink");

    /** A line of the table: label, how to read a number out of a result, its format. */
    private record Line(String label, String benchmark, double percentile, String format) {
    }

    private static final List<Line> LINES = List.of(
            new Line("throughput, 1 host thread (commands/s)", "throughput1", Double.NaN, "%,.0f"),
            new Line("throughput, 4 host threads (commands/s)", "throughput4", Double.NaN, "%,.0f"),
            new Line("round trip p50, 1 outstanding (us)", "latency", 50, "%,.1f"),
            new Line("round trip p99, 1 outstanding (us)", "latency", 99, "%,.1f"));

    private TransportBenchReport() {
    }

    public static void main(String[] args) throws Exception {
        CommandLineOptions options = new CommandLineOptions(args);
        Collection<RunResult> results = new Runner(options).run();
        // benchmark method -> transport -> primary result
        Map<String, Map<String, Result>> byMethod = new HashMap<>();
        for (RunResult run : results) {
            String name = run.getParams().getBenchmark(); // org.jtgt.bench.TransportBench.latency
            String method = name.substring(name.lastIndexOf('.') + 1);
            String transport = run.getParams().getParam("transport");
            byMethod.computeIfAbsent(method, k -> new HashMap<>()).put(transport, run.getAggregatedResult().getPrimaryResult());
        }
        String table = table(byMethod);
        System.out.println();
        System.out.print(table);
        String file = System.getProperty("table");
        if (file != null) {
            Files.writeString(Path.of(file), table);
        }
    }

    private static String table(Map<String, Map<String, Result>> byMethod) {
        StringBuilder out = new StringBuilder();
        String format = "%-42s %14s %14s %12s%n";
        out.append(String.format(Locale.ROOT, format, "measure", "shm", "netlink", "shm/netlink"));
        for (Line line : LINES) {
            Map<String, Result> row = byMethod.get(line.benchmark());
            if (row == null) {
                continue;
            }
            double[] values = new double[2];
            String[] cells = new String[2];
            for (int i = 0; i < 2; i++) {
                Result r = row.get(SHM_NETLINK.get(i));
                values[i] = r == null ? Double.NaN : value(r, line.percentile());
                cells[i] = Double.isNaN(values[i]) ? "-" : String.format(Locale.ROOT, line.format(), values[i]);
            }
            String ratio = Double.isNaN(values[0]) || Double.isNaN(values[1]) || values[1] == 0 ? "-"
                    : String.format(Locale.ROOT, "%.2f", values[0] / values[1]);
            out.append(String.format(Locale.ROOT, format, line.label(), cells[0], cells[1], ratio));
        }
        out.append("commands: a KEVENT_CMD_REQ (6-byte TEST UNIT READY, no data) and its UEVENT_CMD_RSP; on netlink also\n");
        out.append("  the daemon side's ACK. Throughput: up to " + TransportBench.WINDOW
                + " outstanding per host thread, each thread its own host number.\n");
        out.append("shm/netlink: above 1 means shm does more per second (throughput); below 1 means shm is quicker "
                + "(round trip).\n");
        return out.toString();
    }

    private static double value(Result r, double percentile) {
        if (Double.isNaN(percentile)) {
            return r.getScore();
        }
        Statistics s = r.getStatistics();
        return s.getPercentile(percentile);
    }
}
