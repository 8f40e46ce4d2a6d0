package org.jtgt.metrics;

import java.util.List;

import org.jtgt.api.host.TransportControl.TransportState;
import org.jtgt.api.metrics.LatencyHistogram;
import org.jtgt.api.target.TargetInfo;

/** The status page's data ({@code /api/status}): the sampler's latest view as JSON. */
final class StatusJson {
    private final StringBuilder out = new StringBuilder(4096);

    private StatusJson() {
    }

    static String render(View view) {
        StatusJson j = new StatusJson();
        j.write(view);
        return j.out.toString();
    }

    private void write(View view) {
        Sample s = view.sample();
        out.append('{');
        out.append("\"transport\":{");
        field("active", s.activeTransport()).append(",\"transports\":[");
        List<TransportState> ts = s.transports();
        for (int i = 0; i < ts.size(); i++) {
            TransportState t = ts.get(i);
            out.append(i == 0 ? "{" : ",{");
            field("name", t.name()).append(',');
            field("active", t.active()).append(',');
            field("failed", t.failed());
            for (Sample.Occupancy o : s.occupancy()) {
                if (o.transport().equals(t.name())) {
                    out.append(',');
                    field("queuedToDaemon", o.toDaemon()).append(',');
                    field("queuedToHost", o.toHost()).append(',');
                    field("capacity", o.capacity());
                }
            }
            out.append('}');
        }
        out.append("],\"swaps\":");
        if (s.swaps() == null) {
            out.append("null");
        } else {
            out.append('{');
            field("count", s.swaps().count()).append(',');
            field("lastMicros", s.swaps().lastMicros()).append(',');
            field("p99Micros", s.swaps().p99Micros()).append(',');
            field("worstMicros", s.swaps().worstMicros()).append('}');
        }
        out.append("},\"targets\":[");
        for (int i = 0; i < s.targets().size(); i++) {
            TargetInfo t = s.targets().get(i);
            out.append(i == 0 ? "{" : ",{");
            field("name", t.name()).append(',');
            field("luns", t.luns().size()).append(',');
            field("sessions", t.nexusCount()).append(',');
            field("acl", t.acl().isEmpty() ? "ALL" : String.join(" ", t.acl())).append('}');
        }
        out.append("],\"luns\":[");
        double iops = 0;
        double read = 0;
        double written = 0;
        for (int i = 0; i < s.luns().size(); i++) {
            Sample.Lun l = s.luns().get(i);
            View.Rates r = view.lunRates(l);
            iops += r.commands();
            read += r.readBytes();
            written += r.writtenBytes();
            long[] w = view.window(l);
            out.append(i == 0 ? "{" : ",{");
            field("target", l.metrics().target()).append(',');
            field("lun", l.metrics().lun()).append(',');
            field("backing", l.info() == null ? "" : l.info().backing()).append(',');
            field("sizeBytes", l.info() == null ? 0 : l.info().sizeBytes()).append(',');
            field("commands", l.metrics().io().commands()).append(',');
            field("readBytes", l.metrics().io().bytesRead()).append(',');
            field("writtenBytes", l.metrics().io().bytesWritten()).append(',');
            field("checkConditions", l.metrics().io().errors()).append(',');
            field("tasks", l.metrics().tasks()).append(',');
            rates(r).append(',');
            field("p50Micros", LatencyHistogram.quantile(w, 0.5) / 1000.0).append(',');
            field("p99Micros", LatencyHistogram.quantile(w, 0.99) / 1000.0).append(',');
            field("p999Micros", LatencyHistogram.quantile(w, 0.999) / 1000.0).append('}');
        }
        out.append("],\"sessions\":[");
        for (int i = 0; i < s.sessions().size(); i++) {
            Sample.Session x = s.sessions().get(i);
            out.append(i == 0 ? "{" : ",{");
            field("target", x.metrics().target()).append(',');
            field("driver", x.driver()).append(',');
            field("initiator", x.initiator()).append(',');
            field("session", x.id()).append(',');
            field("peer", x.peer()).append(',');
            field("commands", x.metrics().io().commands()).append(',');
            field("checkConditions", x.metrics().io().errors()).append(',');
            rates(view.sessionRates(x)).append('}');
        }
        out.append("],\"totals\":{");
        rates(new View.Rates(iops, read, written));
        out.append("},");
        field("windowSeconds", view.windowSeconds());
        out.append('}');
    }

    /** The three rate fields, inside the object being written. */
    private StringBuilder rates(View.Rates r) {
        field("iops", r.commands()).append(',');
        field("readBytesPerSecond", r.readBytes()).append(',');
        return field("writtenBytesPerSecond", r.writtenBytes());
    }

    private StringBuilder field(String name, String value) {
        string(name);
        out.append(':');
        if (value == null) {
            return out.append("null");
        }
        string(value);
        return out;
    }

    private StringBuilder field(String name, long value) {
        string(name);
        return out.append(':').append(value);
    }

    private StringBuilder field(String name, double value) {
        string(name);
        return out.append(':').append(Double.isFinite(value) ? Double.toString(value) : "0");
    }

    private StringBuilder field(String name, boolean value) {
        string(name);
        return out.append(':').append(value);
    }

    /** A JSON string (RFC 8259 7): quote, backslash and control characters escaped. */
    private void string(String v) {
        out.append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                // also <, > and &, so the JSON can sit inside the page's <script> element
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        out.append('"');
    }
}
