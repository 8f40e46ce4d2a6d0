package org.jtgt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.inject.Inject;

import org.jtgt.api.host.HostService;
import org.jtgt.api.loopback.LoopbackInitiator;
import org.jtgt.api.store.BackingStoreProvider;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.transport.Transport;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;

/** Every jtgt bundle starts, registers its services and keeps its implementation private. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class BundlesActiveIT {
    @Inject
    private BundleContext context;

    @Configuration
    public Option[] config() {
        return new Option[] {JtgtOptions.framework()};
    }

    /** The matrix runs each framework for real: the one jtgt.itest.framework names is the one running. */
    @Test
    public void theFrameworkIsTheOneTheBuildAskedFor() {
        assertEquals(JtgtOptions.systemBundleName(), context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).getSymbolicName());
    }

    @Test
    public void everyJtgtBundleIsActive() {
        Map<String, Bundle> bundles = jtgtBundles();
        List<String> problems = new ArrayList<>();
        for (String name : JtgtOptions.JTGT_BUNDLES) {
            Bundle bundle = bundles.get(name);
            if (bundle == null) {
                problems.add(name + " is not installed");
            } else if (bundle.getState() != Bundle.ACTIVE) {
                problems.add(name + " is in state " + bundle.getState() + ", not ACTIVE (" + Bundle.ACTIVE + ")");
            }
        }
        assertTrue(String.join("; ", problems), problems.isEmpty());
    }

    @Test
    public void eachServiceIsRegisteredByItsBundle() throws Exception {
        assertRegisteredBy("jtgt-transport-shm", Transport.class, "(" + Transport.NAME_PROPERTY + "=shm)");
        assertRegisteredBy("jtgt-transport-direct", Transport.class, "(" + Transport.NAME_PROPERTY + "=direct)");
        assertRegisteredBy("jtgt-host", HostService.class, null);
        assertRegisteredBy("jtgt-daemon", TargetAdmin.class, null);
        assertRegisteredBy("jtgt-lld-loopback", LoopbackInitiator.class, null);
        assertRegisteredBy("jtgt-backing-memory", BackingStoreProvider.class,
                "(" + BackingStoreProvider.TYPE_PROPERTY + "=memory)");
        assertRegisteredBy("jtgt-backing-file", BackingStoreProvider.class,
                "(" + BackingStoreProvider.TYPE_PROPERTY + "=file)");
    }

    @Test
    public void onlyVersionedApiPackagesAreExported() {
        List<String> problems = new ArrayList<>();
        for (Bundle bundle : jtgtBundles().values()) {
            String name = bundle.getSymbolicName();
            List<BundleCapability> exports = bundle.adapt(BundleRevision.class)
                    .getDeclaredCapabilities(PackageNamespace.PACKAGE_NAMESPACE);
            if (!JtgtOptions.EXPORTING_BUNDLES.contains(name)) {
                if (!exports.isEmpty()) {
                    problems.add(name + " exports " + bundle.getHeaders().get(Constants.EXPORT_PACKAGE));
                }
                continue;
            }
            for (BundleCapability export : exports) {
                String pkg = (String) export.getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE);
                Version version = (Version) export.getAttributes().get(PackageNamespace.CAPABILITY_VERSION_ATTRIBUTE);
                if (!JtgtOptions.mayExport(name, pkg)) {
                    problems.add(name + " exports " + pkg + ", outside org.jtgt.api");
                }
                if (version == null || Version.emptyVersion.equals(version)) {
                    problems.add(name + " exports " + pkg + " without a version (package-info @Version)");
                }
            }
        }
        assertTrue(String.join("; ", problems), problems.isEmpty());
        assertTrue("jtgt-api exports nothing",
                !jtgtBundles().get("jtgt-api").adapt(BundleRevision.class)
                        .getDeclaredCapabilities(PackageNamespace.PACKAGE_NAMESPACE).isEmpty());
    }

    private Map<String, Bundle> jtgtBundles() {
        Map<String, Bundle> bundles = new HashMap<>();
        for (Bundle bundle : context.getBundles()) {
            String name = bundle.getSymbolicName();
            if (name != null && name.startsWith("jtgt-")) {
                bundles.put(name, bundle);
            }
        }
        return bundles;
    }

    /** Waits (DS activates asynchronously) for the service and checks which bundle registered it. */
    private <T> void assertRegisteredBy(String bundleName, Class<T> type, String filter) throws Exception {
        ServiceReference<T> reference = Services.await(context, type, filter);
        assertNotNull(type.getSimpleName() + (filter == null ? "" : " " + filter) + " is not registered", reference);
        Bundle registrant = reference.getBundle();
        if (registrant == null) {
            fail(type.getSimpleName() + " was unregistered while the test looked at it");
        }
        assertEquals(type.getSimpleName() + " registered by the wrong bundle", bundleName, registrant.getSymbolicName());
    }
}
