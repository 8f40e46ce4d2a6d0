package org.jtgt.bench;

import java.util.concurrent.TimeUnit;

import org.jtgt.api.metrics.LatencyHistogram;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * What recording one command's latency costs the daemon's command path: the two
 * {@code System.nanoTime} calls and {@link LatencyHistogram#record}, against the two calls alone;
 * one thread, and two threads on one unit's histogram (its stripes keep them off each other's
 * cache lines). {@code java -jar bench/target/benchmarks.jar LatencyHistogramBenchmark -f 1 -wi 2 -i 3}.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LatencyHistogramBenchmark {
    private final LatencyHistogram histogram = new LatencyHistogram();

    @Benchmark
    @Group("nanoTimeOnly")
    public long nanoTimeOnly() {
        long start = System.nanoTime();
        return System.nanoTime() - start;
    }

    @Benchmark
    @Group("record")
    public void record() {
        long start = System.nanoTime();
        histogram.record(System.nanoTime() - start);
    }

    @Benchmark
    @Group("recordTwoThreads")
    @GroupThreads(2)
    public void recordTwoThreads() {
        long start = System.nanoTime();
        histogram.record(System.nanoTime() - start);
    }
}
