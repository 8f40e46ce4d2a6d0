package org.jtgt.transport.netlink;

import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enables the one-process {@link NetlinkTransport} only where host side and daemon share the
 * process (framework property {@code jtgt.role} unset or {@code embedded}). In the split shape's
 * front and daemon processes this bundle only offers its {@link NetlinkMedium}: a one-process
 * transport there would be one nobody is on the other end of, and the front's host side could
 * bind it.
 */
@Component(immediate = true)
public final class NetlinkRole {
    private static final Logger LOG = LoggerFactory.getLogger(NetlinkRole.class);

    @Activate
    void activate(ComponentContext context) {
        String role = context.getBundleContext().getProperty("jtgt.role");
        if (role == null || role.equals("embedded")) {
            context.enableComponent(NetlinkTransport.class.getName());
        } else {
            LOG.debug("jtgt.role={}: the one-process netlink transport stays off; the split medium is offered", role);
        }
    }
}
