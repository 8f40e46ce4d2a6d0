package org.jtgt.metrics;

import java.util.List;
import java.util.Locale;

import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.host.TransportControl.TransportState;
import org.jtgt.api.metrics.LatencyHistogram;
import org.jtgt.api.target.TargetInfo;

/**
 * The Prometheus text exposition format, version 0.0.4: one {@code # HELP} and {@code # TYPE}
 * per family, then its samples; label values escaped ({@code \\}, {@code \"}, {@code \n}).
 * Counters come from the sample read for this scrape; the rates are left to PromQL, the latency
 * quantiles of the last window come from the sampler's view.
 */
final class PrometheusText {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    static final double[] QUANTILES = {0.5, 0.99, 0.999};
    /**
     * Histogram buckets: below each power of two from 2^10 ns (1.024 us) to 2^35 ns (34 s), all
     * boundaries of the daemon's buckets, so exact: {@code le} is 2^e - 1 ns (values are whole
     * nanoseconds, so "at most 2^e - 1" is "below 2^e").
     */
    static final int FIRST_BOUND = 10;
    static final int LAST_BOUND = 35;
    private static final String[] SENSE_KEYS = {"NO_SENSE", "RECOVERED_ERROR", "NOT_READY", "MEDIUM_ERROR",
        "HARDWARE_ERROR", "ILLEGAL_REQUEST", "UNIT_ATTENTION", "DATA_PROTECT", "BLANK_CHECK", "VENDOR_SPECIFIC",
        "COPY_ABORTED", "ABORTED_COMMAND", "RESERVED_C", "VOLUME_OVERFLOW", "MISCOMPARE", "COMPLETED"};

    private final StringBuilder out = new StringBuilder(16 * 1024);

    private PrometheusText() {
    }

    static String render(Sample s, View view) {
        PrometheusText p = new PrometheusText();
        p.write(s, view);
        return p.out.toString();
    }

    private void write(Sample s, View view) {
        family("jtgt_targets", "gauge", "Targets the daemon has.");
        sample("jtgt_targets", "", s.targets().size());
        family("jtgt_target_sessions", "gauge", "I_T nexuses (sessions) of a target.");
        for (TargetInfo t : s.targets()) {
            sample("jtgt_target_sessions", labels("target", t.name()), t.nexusCount());
        }
        family("jtgt_target_luns", "gauge", "Logical units of a target.");
        for (TargetInfo t : s.targets()) {
            sample("jtgt_target_luns", labels("target", t.name()), t.luns().size());
        }

        List<Sample.Lun> luns = s.luns();
        family("jtgt_lun_size_bytes", "gauge", "Capacity of a logical unit.");
        for (Sample.Lun l : luns) {
            if (l.info() != null) {
                sample("jtgt_lun_size_bytes", lun(l), l.info().sizeBytes());
            }
        }
        family("jtgt_lun_commands_total", "counter", "SCSI commands a logical unit answered.");
        for (Sample.Lun l : luns) {
            sample("jtgt_lun_commands_total", lun(l), l.metrics().io().commands());
        }
        family("jtgt_lun_read_bytes_total", "counter", "Data-In bytes of the commands that ended GOOD.");
        for (Sample.Lun l : luns) {
            sample("jtgt_lun_read_bytes_total", lun(l), l.metrics().io().bytesRead());
        }
        family("jtgt_lun_written_bytes_total", "counter", "Data-Out bytes of the commands that ended GOOD.");
        for (Sample.Lun l : luns) {
            sample("jtgt_lun_written_bytes_total", lun(l), l.metrics().io().bytesWritten());
        }
        family("jtgt_lun_check_conditions_total", "counter", "Commands answered CHECK CONDITION, by sense key.");
        for (Sample.Lun l : luns) {
            senseKeys("jtgt_lun_check_conditions_total", lun(l), l.metrics().checkConditions());
        }
        family("jtgt_lun_tasks", "gauge", "Commands a logical unit holds now, running or waiting (queue depth).");
        for (Sample.Lun l : luns) {
            sample("jtgt_lun_tasks", lun(l), l.metrics().tasks());
        }
        family("jtgt_lun_latency_seconds", "histogram",
                "From the daemon receiving a command to its answer, every answered command.");
        for (Sample.Lun l : luns) {
            long[] h = l.latency();
            String base = lun(l);
            for (int e = FIRST_BOUND; e <= LAST_BOUND; e++) {
                long bound = 1L << e;
                sample("jtgt_lun_latency_seconds_bucket", base + ",le=\"" + seconds(bound - 1) + "\"",
                        LatencyHistogram.countBelow(h, bound));
            }
            long count = LatencyHistogram.count(h);
            sample("jtgt_lun_latency_seconds_bucket", base + ",le=\"+Inf\"", count);
            sampleDouble("jtgt_lun_latency_seconds_sum", base, h[LatencyHistogram.SUM] / 1e9);
            sample("jtgt_lun_latency_seconds_count", base, count);
        }
        family("jtgt_lun_recent_latency_seconds", "summary",
                "Latency quantiles over the last " + View.WINDOW_SECONDS + " seconds (bucket upper bounds, within 6.25 %).");
        for (Sample.Lun l : luns) {
            long[] w = view.window(l);
            String base = lun(l);
            for (double q : QUANTILES) {
                sampleDouble("jtgt_lun_recent_latency_seconds", base + ",quantile=\"" + q + "\"",
                        LatencyHistogram.quantile(w, q) / 1e9);
            }
            sampleDouble("jtgt_lun_recent_latency_seconds_sum", base, w[LatencyHistogram.SUM] / 1e9);
            sample("jtgt_lun_recent_latency_seconds_count", base, LatencyHistogram.count(w));
        }

        List<Sample.Session> sessions = s.sessions();
        family("jtgt_session_commands_total", "counter", "SCSI commands an I_T nexus (session) sent that were answered.");
        for (Sample.Session x : sessions) {
            sample("jtgt_session_commands_total", session(x), x.metrics().io().commands());
        }
        family("jtgt_session_read_bytes_total", "counter", "Data-In bytes of a session's commands that ended GOOD.");
        for (Sample.Session x : sessions) {
            sample("jtgt_session_read_bytes_total", session(x), x.metrics().io().bytesRead());
        }
        family("jtgt_session_written_bytes_total", "counter", "Data-Out bytes of a session's commands that ended GOOD.");
        for (Sample.Session x : sessions) {
            sample("jtgt_session_written_bytes_total", session(x), x.metrics().io().bytesWritten());
        }
        family("jtgt_session_check_conditions_total", "counter", "A session's commands answered CHECK CONDITION, by sense key.");
        for (Sample.Session x : sessions) {
            senseKeys("jtgt_session_check_conditions_total", session(x), x.metrics().checkConditions());
        }
        family("jtgt_session_task_management_total", "counter", "Task management functions a session sent, by function.");
        for (Sample.Session x : sessions) {
            for (TaskManagementFunction f : TaskManagementFunction.values()) {
                long n = x.metrics().taskManagement(f);
                if (n != 0) {
                    sample("jtgt_session_task_management_total", session(x) + ",function=\"" + f.name() + "\"", n);
                }
            }
        }

        family("jtgt_transport_active", "gauge", "1 for the transport commands go to, 0 for the other registered ones.");
        for (TransportState t : s.transports()) {
            sample("jtgt_transport_active", labels("transport", t.name()), t.active() ? 1 : 0);
        }
        family("jtgt_transport_failed", "gauge", "1 for a registered transport that reported itself failed.");
        for (TransportState t : s.transports()) {
            sample("jtgt_transport_failed", labels("transport", t.name()), t.failed() ? 1 : 0);
        }
        family("jtgt_transport_queued_events", "gauge", "Events sent and not yet consumed in a transport's ring, by direction.");
        for (Sample.Occupancy o : s.occupancy()) {
            sample("jtgt_transport_queued_events", labels("transport", o.transport()) + ",direction=\"to_daemon\"", o.toDaemon());
            sample("jtgt_transport_queued_events", labels("transport", o.transport()) + ",direction=\"to_host\"", o.toHost());
        }
        family("jtgt_transport_capacity_events", "gauge", "Events one direction of a transport's ring holds.");
        for (Sample.Occupancy o : s.occupancy()) {
            sample("jtgt_transport_capacity_events", labels("transport", o.transport()), o.capacity());
        }
        if (s.daemon() != null) {
            family("jtgt_split_daemon_restarts_total", "counter",
                    "Daemon processes the front had before this one (kill, crash or planned restart; sessions stayed).");
            sample("jtgt_split_daemon_restarts_total", "", s.daemon().daemonsBefore());
            family("jtgt_split_generation", "gauge", "The generation of the front's rings this daemon process uses.");
            sample("jtgt_split_generation", "", s.daemon().generation());
        }
        if (s.swaps() != null) {
            family("jtgt_transport_swaps_total", "counter", "Transport swaps since the host side started.");
            sample("jtgt_transport_swaps_total", "", s.swaps().count());
            family("jtgt_transport_swap_pause_seconds", "gauge",
                    "Swap pauses (queues quiesced to resumed): last, worst, p50 and p99 of the recent swaps.");
            sampleDouble("jtgt_transport_swap_pause_seconds", "which=\"last\"", s.swaps().lastMicros() / 1e6);
            sampleDouble("jtgt_transport_swap_pause_seconds", "which=\"worst\"", s.swaps().worstMicros() / 1e6);
            sampleDouble("jtgt_transport_swap_pause_seconds", "which=\"p50\"", s.swaps().p50Micros() / 1e6);
            sampleDouble("jtgt_transport_swap_pause_seconds", "which=\"p99\"", s.swaps().p99Micros() / 1e6);
        }
    }

    private void senseKeys(String name, String base, long[] counts) {
        for (int k = 0; k < counts.length && k < SENSE_KEYS.length; k++) {
            if (counts[k] != 0) {
                sample(name, base + ",sense_key=\"" + SENSE_KEYS[k] + "\"", counts[k]);
            }
        }
    }

    private static String lun(Sample.Lun l) {
        return labels("target", l.metrics().target()) + ",lun=\"" + l.metrics().lun() + "\"";
    }

    private static String session(Sample.Session x) {
        return labels("target", x.metrics().target()) + "," + labels("initiator", x.initiator()) + ","
                + labels("driver", x.driver()) + "," + labels("session", x.id());
    }

    private void family(String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private void sample(String name, String labels, long value) {
        out.append(name);
        if (!labels.isEmpty()) {
            out.append('{').append(labels).append('}');
        }
        out.append(' ').append(value).append('\n');
    }

    private void sampleDouble(String name, String labels, double value) {
        out.append(name);
        if (!labels.isEmpty()) {
            out.append('{').append(labels).append('}');
        }
        out.append(' ').append(Double.toString(value)).append('\n');
    }

    static String labels(String name, String value) {
        return name + "=\"" + escape(value) + "\"";
    }

    /** A label value: backslash, double quote and line feed escaped. */
    static String escape(String value) {
        StringBuilder b = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\n' -> b.append("\\n");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** Nanoseconds as seconds, exactly (2^e ns has a finite decimal expansion). */
    static String seconds(long nanos) {
        return new java.math.BigDecimal(nanos).movePointLeft(9).stripTrailingZeros().toPlainString()
                .toLowerCase(Locale.ROOT);
    }
}
