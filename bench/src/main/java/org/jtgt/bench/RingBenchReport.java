package org.jtgt.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * Runs JMH with the usual command line (same options as {@code org.openjdk.jmh.Main}), then
 * prints one line per benchmark: the consumer's transfer rate ({@link ConsumedEvents}), its ratio
 * to Agrona's ring with the same number of producers, and its ratio to the ArrayBlockingQueue
 * that copies the event ({@link BlockingQueueBenchmark}'s {@code Copy} groups) with the same
 * producers. Used by {@code run-ring-bench.sh}.
 * With {@code -Dtable=<file>} the table is also written to that file.
 */
public final class RingBenchReport {
    private static final String COUNTER = "consumed";
    private static final String AGRONA = "AgronaRingBenchmark";
    private static final String MANY_TO_ONE_SUFFIX = "ManyToOne";
    private static final String SLOT_RING = "SlotRingBenchmark";
    private static final String QUEUE = "BlockingQueueBenchmark";
    private static final List<String> ORDER = List.of("singleThread", "oneProducer", "twoProducers");

    /** One benchmark: class and group as JMH names them, and the consumer's rate. */
    private record Row(String benchmarkClass, String group, double eventsPerSecond, double error) {
        /** The producer shape without the variant suffix: singleThread, oneProducer, ... */
        String shape() {
            for (String suffix : List.of(MANY_TO_ONE_SUFFIX, SlotRingBenchmark.SINGLE_SUFFIX,
                    BlockingQueueBenchmark.COPY_SUFFIX)) {
                if (group.endsWith(suffix)) {
                    return group.substring(0, group.length() - suffix.length());
                }
            }
            return group;
        }

        boolean isBaseline() {
            return benchmarkClass.equals(AGRONA) && group.equals(shape());
        }

        boolean isCopyingQueue() {
            return benchmarkClass.equals(QUEUE) && !group.equals(shape());
        }

        String label() {
            return switch (benchmarkClass) {
                case SLOT_RING -> group.equals(shape()) ? "SlotRing MULTI" : "SlotRing SINGLE";
                case QUEUE -> group.equals(shape()) ? "ABQ reference" : "ABQ copy";
                case AGRONA -> group.equals("oneProducer") ? "Agrona OneToOne" : "Agrona ManyToOne";
                default -> benchmarkClass;
            };
        }
    }

    private RingBenchReport() {
    }

    public static void main(String[] args) throws Exception {
        CommandLineOptions options = new CommandLineOptions(args);
        Collection<RunResult> results = new Runner(options).run();
        List<Row> rows = new ArrayList<>();
        for (RunResult run : results) {
            String name = run.getParams().getBenchmark(); // org.jtgt.bench.SlotRingBenchmark.oneProducer
            String[] parts = name.split("\\.");
            Map<String, Result> secondary = run.getAggregatedResult().getSecondaryResults();
            Result consumed = secondary.get(COUNTER);
            if (consumed == null) {
                continue;
            }
            rows.add(new Row(parts[parts.length - 2], parts[parts.length - 1], consumed.getScore(),
                    consumed.getScoreError()));
        }
        rows.sort(Comparator.comparing((Row r) -> ORDER.indexOf(r.shape()))
                .thenComparing(r -> !r.isBaseline())
                .thenComparing(Row::label));
        String table = table(rows);
        System.out.println();
        System.out.print(table);
        String file = System.getProperty("table");
        if (file != null) {
            writeTable(Path.of(file), table);
        }
    }

    private static String table(List<Row> rows) {
        StringBuilder out = new StringBuilder();
        String format = "%-20s %-12s %14s %12s %10s %9s%n";
        out.append(String.format(Locale.ROOT, format, "benchmark", "producers", "events/s", "+-99.9%", "vs Agrona",
                "vs queue"));
        for (Row row : rows) {
            out.append(String.format(Locale.ROOT, format, row.label(), producers(row.shape()),
                    String.format(Locale.ROOT, "%,.0f", row.eventsPerSecond()),
                    Double.isNaN(row.error()) ? "-" : String.format(Locale.ROOT, "%,.0f", row.error()),
                    ratio(row, rows, Row::isBaseline), ratio(row, rows, Row::isCopyingQueue)));
        }
        out.append("events/s: events the consumer drained (JMH counter 'consumed'), 64-byte events.\n");
        out.append("vs Agrona: ratio to Agrona with the same producers: OneToOne for 1 -> 1, ManyToOne otherwise.\n");
        out.append("vs queue: ratio to 'ABQ copy' with the same producers. ABQ copy: ArrayBlockingQueue whose\n");
        out.append("producers copy the 64 bytes into pooled objects (the bytes cross, as in the rings);\n");
        out.append("ABQ reference: producers enqueue an object they never write (only a reference crosses).\n");
        out.append("SlotRing SINGLE/MULTI: ProducerMode of the ring (SINGLE claims by ordered store, MULTI by CAS).\n");
        return out.toString();
    }

    private static String ratio(Row row, List<Row> rows, Predicate<Row> isReference) {
        Row reference = rows.stream()
                .filter(r -> isReference.test(r) && r.shape().equals(row.shape()))
                .findFirst().orElse(null);
        return reference == null || reference.eventsPerSecond() == 0 ? "-"
                : String.format(Locale.ROOT, "%.2f", row.eventsPerSecond() / reference.eventsPerSecond());
    }

    private static void writeTable(Path file, String table) throws IOException {
        Files.writeString(file, table);
    }

    private static String producers(String group) {
        return switch (group) {
            case "singleThread" -> "1 thread";
            case "oneProducer" -> "1 -> 1";
            case "twoProducers" -> "2 -> 1";
            default -> group;
        };
    }
}
