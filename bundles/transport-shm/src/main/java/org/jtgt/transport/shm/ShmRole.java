package org.jtgt.transport.shm;

import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enables the shared-memory component for this process's role (framework property
 * {@code jtgt.role}): {@code embedded} (default) the one-process transport {@link ShmTransport};
 * {@code front} the region's owner with the host side ({@link FrontShm}); {@code daemon} the
 * attacher with the target daemon ({@link DaemonShm}). The three are disabled until then, so one
 * bundle serves every shape.
 */
@Component(immediate = true)
public final class ShmRole {
    private static final Logger LOG = LoggerFactory.getLogger(ShmRole.class);
    static final String ROLE_PROPERTY = "jtgt.role";

    @Activate
    void activate(ComponentContext context) {
        String role = context.getBundleContext().getProperty(ROLE_PROPERTY);
        String component = switch (role == null ? "embedded" : role) {
            case "embedded" -> ShmTransport.class.getName();
            case "front" -> FrontShm.class.getName();
            case "daemon" -> DaemonShm.class.getName();
            default -> null;
        };
        if (component == null) {
            LOG.error("{}={} is not a role (embedded, front, daemon); the shared-memory transport stays off",
                    ROLE_PROPERTY, role);
            return;
        }
        context.enableComponent(component);
    }
}
