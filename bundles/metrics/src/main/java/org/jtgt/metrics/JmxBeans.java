package org.jtgt.metrics;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.DynamicMBean;
import javax.management.JMException;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.jtgt.api.metrics.LatencyHistogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The same values as MBeans in a server (the platform MBeanServer, so {@code jconsole} shows
 * them under {@code org.jtgt}): one {@code type=LogicalUnit} per unit, one {@code type=Session}
 * per I_T nexus, one {@code type=Transport}. Read-only; each read answers from the sampler's
 * latest view (at most a second old). Beans follow the units and sessions at every sample.
 */
final class JmxBeans implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JmxBeans.class);
    static final String DOMAIN = "org.jtgt";

    private final MBeanServer server;
    private final Set<ObjectName> registered = new HashSet<>();
    private volatile View view;

    JmxBeans(MBeanServer server) {
        this.server = server;
    }

    static ObjectName lunName(String target, int lun) throws JMException {
        return new ObjectName(DOMAIN + ":type=LogicalUnit,target=" + ObjectName.quote(target) + ",lun=" + lun);
    }

    static ObjectName sessionName(String target, String session) throws JMException {
        return new ObjectName(DOMAIN + ":type=Session,target=" + ObjectName.quote(target) + ",session="
                + ObjectName.quote(session));
    }

    static ObjectName transportName() throws JMException {
        return new ObjectName(DOMAIN + ":type=Transport");
    }

    /** Publishes {@code v} and registers and unregisters beans to match it; the sampler's thread only. */
    synchronized void update(View v) {
        view = v;
        Map<ObjectName, Bean> want = new LinkedHashMap<>();
        try {
            for (Sample.Lun l : v.sample().luns()) {
                String key = l.key();
                want.put(lunName(l.metrics().target(), l.metrics().lun()), lunBean(key));
            }
            for (Sample.Session s : v.sample().sessions()) {
                want.put(sessionName(s.metrics().target(), s.id()), sessionBean(s.key()));
            }
            want.put(transportName(), transportBean());
        } catch (JMException e) {
            LOG.warn("MBean names could not be made: {}", e.toString());
            return;
        }
        for (ObjectName gone : new HashSet<>(registered)) {
            if (!want.containsKey(gone)) {
                unregister(gone);
            }
        }
        for (Map.Entry<ObjectName, Bean> e : want.entrySet()) {
            if (!registered.contains(e.getKey())) {
                try {
                    server.registerMBean(e.getValue(), e.getKey());
                    registered.add(e.getKey());
                } catch (JMException | RuntimeException ex) {
                    LOG.warn("MBean {} not registered: {}", e.getKey(), ex.toString());
                }
            }
        }
    }

    private void unregister(ObjectName name) {
        try {
            server.unregisterMBean(name);
        } catch (JMException | RuntimeException e) {
            LOG.debug("MBean {} was not registered", name, e);
        }
        registered.remove(name);
    }

    @Override
    public synchronized void close() {
        for (ObjectName name : new HashSet<>(registered)) {
            unregister(name);
        }
    }

    private Sample.Lun lun(String key) {
        View v = view;
        for (Sample.Lun l : v.sample().luns()) {
            if (l.key().equals(key)) {
                return l;
            }
        }
        return null;
    }

    private Sample.Session session(String key) {
        View v = view;
        for (Sample.Session s : v.sample().sessions()) {
            if (s.key().equals(key)) {
                return s;
            }
        }
        return null;
    }

    private Bean lunBean(String key) {
        Bean b = new Bean("A logical unit: counters, queue depth, latency quantiles of the last "
                + View.WINDOW_SECONDS + " s and rates of the last second");
        Function<Function<Sample.Lun, Object>, Function<Void, Object>> of = f -> x -> {
            Sample.Lun l = lun(key);
            return l == null ? null : f.apply(l);
        };
        b.add("Commands", "long", of.apply(l -> l.metrics().io().commands()));
        b.add("BytesRead", "long", of.apply(l -> l.metrics().io().bytesRead()));
        b.add("BytesWritten", "long", of.apply(l -> l.metrics().io().bytesWritten()));
        b.add("CheckConditions", "long", of.apply(l -> l.metrics().io().errors()));
        b.add("TasksInFlight", "int", of.apply(l -> l.metrics().tasks()));
        b.add("SizeBytes", "long", of.apply(l -> l.info() == null ? 0L : l.info().sizeBytes()));
        b.add("LatencyCount", "long", of.apply(l -> LatencyHistogram.count(l.latency())));
        b.add("LatencyP50Micros", "double", of.apply(l -> LatencyHistogram.quantile(view.window(l), 0.5) / 1000.0));
        b.add("LatencyP99Micros", "double", of.apply(l -> LatencyHistogram.quantile(view.window(l), 0.99) / 1000.0));
        b.add("LatencyP999Micros", "double", of.apply(l -> LatencyHistogram.quantile(view.window(l), 0.999) / 1000.0));
        b.add("CommandsPerSecond", "double", of.apply(l -> view.lunRates(l).commands()));
        b.add("ReadBytesPerSecond", "double", of.apply(l -> view.lunRates(l).readBytes()));
        b.add("WrittenBytesPerSecond", "double", of.apply(l -> view.lunRates(l).writtenBytes()));
        return b;
    }

    private Bean sessionBean(String key) {
        Bean b = new Bean("An I_T nexus (session): counters and rates of the last second");
        Function<Function<Sample.Session, Object>, Function<Void, Object>> of = f -> x -> {
            Sample.Session s = session(key);
            return s == null ? null : f.apply(s);
        };
        b.add("Target", "java.lang.String", of.apply(s -> s.metrics().target()));
        b.add("Initiator", "java.lang.String", of.apply(Sample.Session::initiator));
        b.add("Driver", "java.lang.String", of.apply(Sample.Session::driver));
        b.add("Peer", "java.lang.String", of.apply(Sample.Session::peer));
        b.add("Commands", "long", of.apply(s -> s.metrics().io().commands()));
        b.add("BytesRead", "long", of.apply(s -> s.metrics().io().bytesRead()));
        b.add("BytesWritten", "long", of.apply(s -> s.metrics().io().bytesWritten()));
        b.add("CheckConditions", "long", of.apply(s -> s.metrics().io().errors()));
        b.add("CommandsPerSecond", "double", of.apply(s -> view.sessionRates(s).commands()));
        return b;
    }

    private Bean transportBean() {
        Bean b = new Bean("The host side's transports and swap pauses");
        b.add("Active", "java.lang.String", x -> view.sample().activeTransport());
        b.add("Transports", "java.lang.String", x -> String.join(" ",
                view.sample().transports().stream().map(t -> t.name()).toList()));
        b.add("Swaps", "long", x -> view.sample().swaps() == null ? 0L : view.sample().swaps().count());
        b.add("SwapPauseLastMicros", "long", x -> view.sample().swaps() == null ? 0L : view.sample().swaps().lastMicros());
        b.add("SwapPauseWorstMicros", "long", x -> view.sample().swaps() == null ? 0L : view.sample().swaps().worstMicros());
        return b;
    }

    /** A read-only DynamicMBean: named attributes, each a function of nothing (it reads the view). */
    static final class Bean implements DynamicMBean {
        private final String description;
        private final Map<String, Function<Void, Object>> readers = new LinkedHashMap<>();
        private final Map<String, String> types = new LinkedHashMap<>();

        Bean(String description) {
            this.description = description;
        }

        void add(String name, String type, Function<Void, Object> reader) {
            readers.put(name, reader);
            types.put(name, type);
        }

        @Override
        public Object getAttribute(String attribute) throws AttributeNotFoundException {
            Function<Void, Object> r = readers.get(attribute);
            if (r == null) {
                throw new AttributeNotFoundException(attribute);
            }
            return r.apply(null);
        }

        @Override
        public void setAttribute(Attribute attribute) throws AttributeNotFoundException {
            throw new AttributeNotFoundException(attribute.getName() + " is read-only");
        }

        @Override
        public AttributeList getAttributes(String[] attributes) {
            AttributeList list = new AttributeList();
            for (String a : attributes) {
                Function<Void, Object> r = readers.get(a);
                if (r != null) {
                    list.add(new Attribute(a, r.apply(null)));
                }
            }
            return list;
        }

        @Override
        public AttributeList setAttributes(AttributeList attributes) {
            return new AttributeList();
        }

        @Override
        public Object invoke(String actionName, Object[] params, String[] signature) {
            throw new UnsupportedOperationException("no operations");
        }

        @Override
        public MBeanInfo getMBeanInfo() {
            MBeanAttributeInfo[] attrs = types.entrySet().stream()
                    .map(e -> new MBeanAttributeInfo(e.getKey(), e.getValue(), e.getKey(), true, false, false))
                    .toArray(MBeanAttributeInfo[]::new);
            return new MBeanInfo(Bean.class.getName(), description, attrs, null, null, null);
        }
    }
}
