package org.jtgt.itests.karaf;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.rmi.server.RMISocketFactory;

/**
 * A Java agent for both JVMs of the Karaf test (the test JVM and Karaf's): Pax Exam talks to its
 * probe in Karaf over RMI, and RMI's default sockets listen on every interface. Installed before
 * any RMI object exists, this factory makes every RMI server socket listen on the loopback
 * address and every RMI connection go to it (both JVMs run on this machine; a stub that names
 * the host by its network name still reaches the loopback listener). The project's tests bind
 * loopback only, and Pax Exam has no option for it.
 */
public final class LoopbackRmiAgent extends RMISocketFactory {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    public static void premain(String args) throws IOException {
        RMISocketFactory.setSocketFactory(new LoopbackRmiAgent());
    }

    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
        return new ServerSocket(port, 50, LOOPBACK);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return new Socket(LOOPBACK, port);
    }
}
