package org.jtgt.api.target;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The target ports of the target daemon (SAM-5 4.6.5): every target is reachable through every
 * port a low-level driver registers here, so one relative target port identifier names one
 * port for every target. Drivers register their ports when they start listening and unregister
 * them when they stop; the identifier they get is the one each I_T nexus created on that port
 * carries. The daemon reports the ports in the device identification VPD page and in REPORT
 * TARGET PORT GROUPS (SPC-4 5.16): unless a target's configured groups ({@link PortGroupAdmin})
 * say otherwise, each port is a target port group of its own, numbered as the port, in the
 * active/optimized state. {@link Port#group()} is that default.
 */
@ProviderType
public interface TargetPorts {
    /** The lowest and highest relative target port identifier (SPC-4 7.8.6.5: 0 is reserved). */
    int MIN_ID = 1;
    int MAX_ID = 0xFFFF;

    /**
     * One registered target port.
     *
     * @param relativeId relative target port identifier, 1..65535
     * @param group the target port group it belongs to
     * @param driver the low-level driver that registered it ({@code iscsi}, {@code fc}, ...)
     * @param description what the port is, for people ({@code 127.0.0.1:3260 TPGT 1})
     */
    record Port(int relativeId, int group, String driver, String description) {
    }

    /**
     * Registers a port. The preferred identifier is given when it is free, else the next free
     * one above it (wrapping around), so that a driver configured to the same identifier as
     * another still gets a port of its own.
     *
     * @param preferredId the identifier wanted, {@link #MIN_ID}..{@link #MAX_ID}
     * @return the relative target port identifier assigned
     * @throws TargetAdminException if the identifier is out of range or every one is taken
     */
    int register(String driver, String description, int preferredId);

    /** Removes a port registered before; unknown identifiers are ignored. */
    void unregister(int relativeId);

    /** The registered ports, by relative target port identifier. */
    List<Port> ports();
}
