package org.jtgt.config;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

import org.jtgt.api.config.PortGroupConfiguration;
import org.jtgt.api.config.TargetConfiguration;
import org.jtgt.api.store.BackingStoreProvider;
import org.jtgt.api.target.ChapAccounts;
import org.jtgt.api.target.PortGroupAdmin;
import org.jtgt.api.target.PortGroupListener;
import org.jtgt.api.target.SessionSource;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.util.file.OwnerOnlyFiles;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns {@code targets.conf} ({@link TargetsFile}): reads it at activation, applies it to the
 * daemon as soon as the daemon and the backing store providers its LUNs need are there
 * ({@link ConfiguredTargets}), and offers the targets to jtgtadm's commands as
 * {@link TargetConfiguration} and their CHAP accounts to the iSCSI driver as {@link ChapAccounts}.
 *
 * <p>Where: the configured directory, else the framework property {@value #CONFIG_DIR_PROPERTY}
 * (the launcher's {@code --config}), else this bundle's data area. The directory is made (mode
 * 0700) at activation, so a location that cannot hold the file fails activation, and with it the
 * account source: the iSCSI driver then refuses every login rather than admit one without CHAP.
 */
// service = {}: the services are registered by hand, once targets.conf is read
@Component(service = {}, immediate = true, configurationPid = TargetsConfService.PID)
@Designate(ocd = TargetsConfService.Config.class)
public class TargetsConfService {
    private static final Logger LOG = LoggerFactory.getLogger(TargetsConfService.class);

    static final String PID = "org.jtgt.config";
    /** Framework property naming the directory of {@code targets.conf} (the launcher's --config). */
    public static final String CONFIG_DIR_PROPERTY = "jtgt.config.dir";
    /** The bundle that kept targets.conf in its data area before this one did. */
    private static final String FORMER_OWNER = "jtgt-admin";

    @ObjectClassDefinition(name = "jtgt targets.conf", description = "Where the targets jtgtadm manages are kept")
    public @interface Config {
        @AttributeDefinition(name = "Directory", description = "Directory of targets.conf; empty: the framework "
                + "property jtgt.config.dir, else the bundle's data area. Changing it loads the file there.")
        String directory() default "";
    }

    volatile TargetAdmin targetAdmin;
    /** The daemon's asymmetric access: port groups of targets.conf are applied through it. */
    volatile PortGroupAdmin portGroupAdmin;

    /** The network drivers' sessions, which a forced target deletion ends. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    final List<SessionSource> sessionSources = new CopyOnWriteArrayList<>();

    /** Backing store providers in the order they came; the first of a type serves it. */
    private final List<BackingStoreProvider> providers = new CopyOnWriteArrayList<>();
    /** The types of every provider seen, in the order they came: a type missing now "is not running". */
    private final CopyOnWriteArrayList<String> storeTypes = new CopyOnWriteArrayList<>();
    private volatile ConfiguredTargets configured;
    /** Applies targets.conf off the SCR threads: bind methods must not call out to other services. */
    private ExecutorService loader;
    private ServiceRegistration<TargetConfiguration> configuration;
    /** The per-target CHAP accounts for the iSCSI driver, registered while active. */
    private ServiceRegistration<ChapAccounts> chap;
    /** Port groups for jtgtadm, and the listener that keeps initiators' SET TARGET PORT GROUPS. */
    private ServiceRegistration<PortGroupConfiguration> portGroups;
    private ServiceRegistration<PortGroupListener> portGroupListener;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            unbind = "unbindTargetAdmin")
    void bindTargetAdmin(TargetAdmin admin) {
        targetAdmin = admin;
        applyLater();
    }

    void unbindTargetAdmin(TargetAdmin admin) {
        if (targetAdmin == admin) {
            targetAdmin = null;
            ConfiguredTargets c = configured;
            if (c != null) {
                c.daemonGone();
            }
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            unbind = "unbindPortGroupAdmin")
    void bindPortGroupAdmin(PortGroupAdmin admin) {
        portGroupAdmin = admin;
        applyLater();
    }

    void unbindPortGroupAdmin(PortGroupAdmin admin) {
        if (portGroupAdmin == admin) {
            portGroupAdmin = null;
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            unbind = "unbindProvider")
    void bindProvider(BackingStoreProvider provider) {
        providers.add(provider);
        storeTypes.addIfAbsent(provider.type());
        applyLater();
    }

    void unbindProvider(BackingStoreProvider provider) {
        providers.remove(provider);
    }

    @Activate
    void activate(BundleContext context, Config config) throws IOException {
        String dir = !config.directory().isEmpty() ? config.directory() : context.getProperty(CONFIG_DIR_PROPERTY);
        Path conf;
        if (dir != null) {
            conf = Path.of(dir).resolve(TargetsFile.NAME);
            OwnerOnlyFiles.createDirectories(conf.toAbsolutePath().getParent());
        } else {
            conf = context.getDataFile(TargetsFile.NAME).toPath();
            takeOver(context, conf);
        }
        manage(conf);
        ConfiguredTargets c = configured;
        configuration = context.registerService(TargetConfiguration.class, c, null);
        // Only once targets.conf is read: a source that answered "no accounts" for a target
        // that has them would let the iSCSI driver admit logins without CHAP.
        chap = context.registerService(ChapAccounts.class, c::chapFor, null);
        portGroups = context.registerService(PortGroupConfiguration.class, c, null);
        // SET TARGET PORT GROUPS runs on a transport thread: the file is written on the loader's
        PortGroupListener keep = (target, groups) -> {
            try {
                loader.execute(() -> c.portGroupsChanged(target, groups));
            } catch (RejectedExecutionException e) {
                LOG.warn("access states of {} changed while stopping; not kept", target);
            }
        };
        portGroupListener = context.registerService(PortGroupListener.class, keep, null);
    }

    /**
     * Moves a {@code targets.conf} that the admin bundle kept in its data area (before this
     * bundle owned the file) into this bundle's, so an installation without
     * {@value #CONFIG_DIR_PROPERTY} keeps its targets.
     */
    private static void takeOver(BundleContext context, Path conf) throws IOException {
        if (Files.exists(conf)) {
            return;
        }
        for (Bundle b : context.getBundles()) {
            File former = FORMER_OWNER.equals(b.getSymbolicName()) ? b.getDataFile(TargetsFile.NAME) : null;
            if (former != null && former.isFile()) {
                OwnerOnlyFiles.createDirectories(conf.getParent());
                Files.move(former.toPath(), conf);
                LOG.info("{} moved to {}", former, conf);
                return;
            }
        }
    }

    /** Loads {@code conf} and applies it, now or as soon as the daemon and the providers it needs are there. */
    void manage(Path conf) throws IOException {
        loader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "jtgt-config-targets");
            t.setDaemon(true);
            return t;
        });
        ConfiguredTargets c = new ConfiguredTargets(conf, new ConfiguredTargets.Environment() {
            @Override
            public TargetAdmin targetAdmin() {
                return targetAdmin;
            }

            @Override
            public List<SessionSource> sessionSources() {
                return sessionSources;
            }

            @Override
            public PortGroupAdmin portGroupAdmin() {
                return portGroupAdmin;
            }

            @Override
            public BackingStoreProvider provider(String type) {
                for (BackingStoreProvider p : providers) {
                    if (p.type().equals(type)) {
                        return p;
                    }
                }
                return null;
            }

            @Override
            public List<String> storeTypes() {
                return List.copyOf(storeTypes);
            }
        });
        try {
            c.load();
        } catch (IOException | RuntimeException e) {
            loader.shutdownNow();
            throw e;
        }
        configured = c;
        applyLater();
    }

    private void applyLater() {
        ConfiguredTargets c = configured;
        ExecutorService l = loader;
        if (c != null && l != null) {
            try {
                l.execute(c::applyPending);
            } catch (RejectedExecutionException e) {
                // deactivating
            }
        }
    }

    @Deactivate
    void deactivate() {
        if (portGroupListener != null) {
            portGroupListener.unregister();
            portGroupListener = null;
        }
        if (portGroups != null) {
            portGroups.unregister();
            portGroups = null;
        }
        if (chap != null) {
            chap.unregister();
            chap = null;
        }
        if (configuration != null) {
            configuration.unregister();
            configuration = null;
        }
        if (loader != null) {
            loader.shutdownNow();
        }
    }

    ConfiguredTargets configured() {
        return configured;
    }
}
