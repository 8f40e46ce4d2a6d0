package org.jtgt.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * Runs the same JMH selection {@code -Drounds=N} times (each round runs every benchmark once, in
 * order, so load that comes and goes hits all of them alike) and prints, per benchmark and
 * parameter, the median, lowest and highest transfer rate of the rounds and the ratio of the
 * median to Agrona's with the same producers. Used by {@code run-ring-lab.sh} on machines too busy
 * for one long run per benchmark to mean much.
 */
public final class RingLabReport {
    private RingLabReport() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = Integer.getInteger("rounds", 5);
        CommandLineOptions options = new CommandLineOptions(args);
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        for (int round = 1; round <= rounds; round++) {
            System.out.println("# round " + round + " of " + rounds);
            Collection<RunResult> results = new Runner(options).run();
            for (RunResult run : results) {
                Result consumed = run.getAggregatedResult().getSecondaryResults().get("consumed");
                if (consumed == null) {
                    continue;
                }
                String name = run.getParams().getBenchmark().replace("org.jtgt.bench.", "");
                String variant = run.getParams().getParam("variant");
                rates.computeIfAbsent(variant == null ? name : name + " " + variant, k -> new ArrayList<>())
                        .add(consumed.getScore());
            }
        }
        String format = "%-55s %12s %12s %12s %10s%n";
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, format, "benchmark (" + rounds + " rounds)", "median", "lowest",
                "highest", "vs Agrona"));
        for (Map.Entry<String, List<Double>> e : rates.entrySet()) {
            double median = median(e.getValue());
            String shape = e.getKey().contains("twoProducers") ? "twoProducers" : "oneProducer";
            List<Double> agrona = rates.get("AgronaRingBenchmark." + shape);
            String ratio = agrona == null ? "-" : String.format(Locale.ROOT, "%.2f", median / median(agrona));
            out.append(String.format(Locale.ROOT, format, e.getKey(), millions(median),
                    millions(e.getValue().stream().mapToDouble(Double::doubleValue).min().orElse(0)),
                    millions(e.getValue().stream().mapToDouble(Double::doubleValue).max().orElse(0)), ratio));
        }
        out.append("events/s the consumer drained, in millions; vs Agrona: median over Agrona's median with the same"
                + " producers (OneToOne for 1 -> 1, ManyToOne for 2 -> 1).\n");
        System.out.println();
        System.out.print(out);
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static String millions(double eventsPerSecond) {
        return String.format(Locale.ROOT, "%.1f M", eventsPerSecond / 1e6);
    }
}
