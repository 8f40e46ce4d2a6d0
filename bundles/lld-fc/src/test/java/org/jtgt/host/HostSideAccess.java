package org.jtgt.host;

import java.lang.annotation.Annotation;
import java.util.Map;

import org.jtgt.api.transport.Transport;

/**
 * Test-only access to the host side's package-private DS lifecycle, so that FC tests can wire
 * the real host side by hand the way Declarative Services does (as the host bundle's own
 * PathFixture does).
 */
public final class HostSideAccess {
    private HostSideAccess() {
    }

    public static HostSide activated(int commandsPerHost, int maxDataLength, int stagingAreaSize) {
        HostSide side = new HostSide();
        side.activate(new HostSide.Config() {
            @Override public Class<? extends Annotation> annotationType() { return HostSide.Config.class; }
            @Override public String transport() { return "shm"; }
            @Override public int commandsPerHost() { return commandsPerHost; }
            @Override public int maxDataLength() { return maxDataLength; }
            @Override public int stagingAreaSize() { return stagingAreaSize; }
            @Override public int drainTimeoutSeconds() { return 10; }
            @Override public int sessionDataSharePercent() { return 25; }
            @Override public int sessionCommandSharePercent() { return 25; }
            @Override public int hostDataSharePercent() { return 50; }
            @Override public int reservePercent() { return 25; }
        });
        return side;
    }

    public static void bind(HostSide side, Transport transport, long serviceId) {
        side.bindTransport(transport, Map.of(Transport.NAME_PROPERTY, transport.name(), "service.ranking", 0,
                "service.id", serviceId));
    }

    public static void unbind(HostSide side, Transport transport) {
        side.unbindTransport(transport);
    }

    public static void deactivate(HostSide side) {
        side.deactivate();
    }
}
