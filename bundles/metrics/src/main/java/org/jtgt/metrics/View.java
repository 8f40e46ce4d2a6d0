package org.jtgt.metrics;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

import org.jtgt.api.metrics.LatencyHistogram;
import org.jtgt.api.target.IoStatistics;

/**
 * A sample with what needs an earlier one: rates over the last sampling interval, and each
 * logical unit's latencies over the last {@link #WINDOW_SECONDS} seconds.
 */
record View(Sample sample, Map<String, Rates> lunRates, Map<String, Rates> sessionRates, Map<String, long[]> lunWindow,
            double windowSeconds) {
    /** The window of the latency quantiles. */
    static final int WINDOW_SECONDS = 10;

    /** Per second. */
    record Rates(double commands, double readBytes, double writtenBytes) {
        static final Rates NONE = new Rates(0, 0, 0);

        static Rates between(IoStatistics later, IoStatistics earlier, double seconds) {
            if (earlier == null || seconds <= 0) {
                return NONE;
            }
            return new Rates(Math.max(0, later.commands() - earlier.commands()) / seconds,
                    Math.max(0, later.bytesRead() - earlier.bytesRead()) / seconds,
                    Math.max(0, later.bytesWritten() - earlier.bytesWritten()) / seconds);
        }
    }

    Rates lunRates(Sample.Lun l) {
        return lunRates.getOrDefault(l.key(), Rates.NONE);
    }

    Rates sessionRates(Sample.Session s) {
        return sessionRates.getOrDefault(s.key(), Rates.NONE);
    }

    /** The unit's latencies in the window (a histogram snapshot); all of them before a window has passed. */
    long[] window(Sample.Lun l) {
        return lunWindow.getOrDefault(l.key(), l.latency());
    }

    /** Keeps the samples of the last window and makes views from them; one thread at a time. */
    static final class History {
        private final ArrayDeque<Sample> samples = new ArrayDeque<>();

        View add(Sample latest) {
            samples.addLast(latest);
            while (samples.size() > 2 && latest.nanos() - samples.peekFirst().nanos() > WINDOW_SECONDS * 1_000_000_000L + 500_000_000L) {
                samples.removeFirst();
            }
            Sample previous = null;
            for (Sample s : samples) {
                if (s != latest) {
                    previous = s;
                }
            }
            Sample oldest = samples.peekFirst();
            Map<String, Rates> lunRates = new HashMap<>();
            Map<String, Rates> sessionRates = new HashMap<>();
            Map<String, long[]> window = new HashMap<>();
            if (previous != null) {
                double seconds = (latest.nanos() - previous.nanos()) / 1e9;
                Map<String, IoStatistics> before = new HashMap<>();
                previous.luns().forEach(l -> before.put(l.key(), l.metrics().io()));
                latest.luns().forEach(l -> lunRates.put(l.key(), Rates.between(l.metrics().io(), before.get(l.key()), seconds)));
                before.clear();
                previous.sessions().forEach(s -> before.put(s.key(), s.metrics().io()));
                latest.sessions().forEach(s -> sessionRates.put(s.key(), Rates.between(s.metrics().io(), before.get(s.key()), seconds)));
                Map<String, long[]> start = new HashMap<>();
                oldest.luns().forEach(l -> start.put(l.key(), l.latency()));
                for (Sample.Lun l : latest.luns()) {
                    long[] from = start.get(l.key());
                    if (from != null) {
                        long[] d = new long[LatencyHistogram.SNAPSHOT_LENGTH];
                        LatencyHistogram.difference(l.latency(), from, d);
                        window.put(l.key(), d);
                    }
                }
            }
            double windowSeconds = oldest == latest ? 0 : (latest.nanos() - oldest.nanos()) / 1e9;
            return new View(latest, lunRates, sessionRates, window, windowSeconds);
        }
    }
}
