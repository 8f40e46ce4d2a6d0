package org.jtgt.itests;

import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/** Service look-ups that wait, because Declarative Services activates components asynchronously. */
final class Services {
    static final long TIMEOUT_MS = TimeUnit.SECONDS.toMillis(30);

    private Services() {
    }

    /** The highest-ranked service of {@code type} matching {@code filter}, or {@code null} after {@link #TIMEOUT_MS}. */
    static <T> ServiceReference<T> await(BundleContext context, Class<T> type, String filter) throws Exception {
        String objectClass = "(" + Constants.OBJECTCLASS + "=" + type.getName() + ")";
        Filter full = context.createFilter(filter == null ? objectClass : "(&" + objectClass + filter + ")");
        ServiceTracker<T, T> tracker = new ServiceTracker<>(context, full, null);
        tracker.open();
        try {
            tracker.waitForService(TIMEOUT_MS);
            return tracker.getServiceReference();
        } finally {
            tracker.close();
        }
    }
}
