package org.jtgt.admin;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.jtgt.admin.ControlProtocol.MalformedRequestException;
import org.jtgt.admin.ControlProtocol.Reply;
import org.jtgt.api.config.PortGroupConfiguration;
import org.jtgt.api.config.TargetConfiguration;
import org.jtgt.api.host.TransportControl;
import org.jtgt.api.target.SessionSource;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.target.TargetPorts;
import org.jtgt.util.file.OwnerOnlyFiles;
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
 * The local management socket {@code jtgtadm} talks to: a Unix domain socket that only the
 * owner may open (mode 0600 in a directory the launcher keeps private), one request and one reply
 * per connection ({@link ControlProtocol}), executed by {@link AdminCommands}.
 *
 * <p>Where: the configured path, else the framework property {@value #PATH_PROPERTY} (the
 * launcher sets it to {@code control.sock} in its {@code --config} directory), else this bundle's
 * data area. A socket file left by a process that died is replaced; one that still answers means
 * another jtgt owns it, and activation fails with that message.
 *
 * <p>Targets made through jtgtadm are kept in {@code targets.conf} by the {@link TargetConfiguration}
 * service (the config bundle), which the commands change and show.
 *
 * <p>Bounded: at most {@value #MAX_CLIENTS} requests run at once (more are answered "busy"), a
 * request is at most {@value ControlProtocol#MAX_REQUEST} bytes, and a client that has not sent
 * its whole request within {@value #REQUEST_TIMEOUT_SECONDS} s is disconnected.
 */
// service = {}: Services is this bundle's private interface, not something to register
@Component(service = {}, immediate = true, configurationPid = "org.jtgt.admin")
@Designate(ocd = ControlSocket.Config.class)
public class ControlSocket implements AdminCommands.Services {
    private static final Logger LOG = LoggerFactory.getLogger(ControlSocket.class);

    /** Framework property naming the socket's path. */
    public static final String PATH_PROPERTY = "jtgt.control";
    static final int MAX_CLIENTS = 4;
    static final int REQUEST_TIMEOUT_SECONDS = 10;

    @ObjectClassDefinition(name = "jtgt control socket", description = "The Unix domain socket jtgtadm talks to")
    public @interface Config {
        @AttributeDefinition(name = "Path", description = "Socket file; empty: the framework property jtgt.control, "
                + "else the bundle's data area. Changing it restarts the socket.")
        String path() default "";
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile TransportControl transportControl;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile TargetAdmin targetAdmin;

    /** The targets jtgtadm manages (targets.conf), from the config bundle. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile TargetConfiguration configuration;

    /** The port groups jtgtadm manages (targets.conf), from the config bundle. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile PortGroupConfiguration portGroups;

    /** The daemon's target ports, listed with the port groups. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile TargetPorts targetPorts;

    /** The network drivers' sessions. */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    final List<SessionSource> sessionSources = new CopyOnWriteArrayList<>();

    private final AdminCommands commands = new AdminCommands(this);
    /** The Gogo commands ({@link ShellCommands}), registered while active. */
    private ServiceRegistration<Object> shell;
    private Path path;
    private ServerSocketChannel server;
    private Thread acceptor;
    private ExecutorService workers;
    private ScheduledExecutorService timeouts;

    @Activate
    void activate(BundleContext context, Config config) throws IOException {
        Path p;
        if (!config.path().isEmpty()) {
            p = Path.of(config.path());
        } else if (context.getProperty(PATH_PROPERTY) != null) {
            p = Path.of(context.getProperty(PATH_PROPERTY));
        } else {
            p = context.getDataFile("control.sock").toPath();
            // The bundle's own storage: owner-only, so nobody else reaches the socket between
            // bind and chmod. A configured path's directory is the operator's.
            if (OwnerOnlyFiles.restrict(p.getParent())) {
                LOG.debug("{} narrowed to mode 0700", p.getParent());
            }
        }
        open(p);
        shell = context.registerService(Object.class, new ShellCommands(commands), ShellCommands.properties());
    }

    /** Binds the socket at {@code socketPath} and starts answering; also the entry point for tests. */
    void open(Path socketPath) throws IOException {
        path = socketPath.toAbsolutePath();
        // A directory made here is 0700: the socket's mode can only be set after bind.
        OwnerOnlyFiles.createDirectories(path.getParent());
        if (!OwnerOnlyFiles.supported(path)) {
            LOG.debug("{} has no POSIX permissions: the control socket gets the file system's default mode",
                    path.getParent());
        }
        if (Files.exists(path)) {
            if (answers(path)) {
                throw new IOException("control socket " + path + " is in use by another jtgt process");
            }
            Files.delete(path); // left by a process that is gone
        }
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(path));
            OwnerOnlyFiles.restrict(path);
        } catch (IOException | RuntimeException e) {
            server.close();
            Files.deleteIfExists(path);
            throw new IOException("cannot create control socket " + path + ": " + e.getMessage(), e);
        }
        workers = new ThreadPoolExecutor(0, MAX_CLIENTS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> daemonThread(r, "jtgt-admin-request"));
        timeouts = Executors.newSingleThreadScheduledExecutor(r -> daemonThread(r, "jtgt-admin-timeout"));
        acceptor = daemonThread(this::accept, "jtgt-admin-accept");
        acceptor.start();
        LOG.info("control socket listening on {}", path);
    }

    @Deactivate
    void close() {
        if (shell != null) {
            shell.unregister();
            shell = null;
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing the control socket failed", e);
        }
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdownNow();
        timeouts.shutdownNow();
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("cannot remove control socket {}: {}", path, e.toString());
        }
        LOG.info("control socket {} closed", path);
    }

    Path path() {
        return path;
    }

    /** True if something accepts connections on the socket file at {@code p}. */
    private static boolean answers(Path p) {
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(p))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public TransportControl transportControl() {
        return transportControl;
    }

    @Override
    public TargetAdmin targetAdmin() {
        return targetAdmin;
    }

    @Override
    public TargetConfiguration configuration() {
        return configuration;
    }

    @Override
    public List<SessionSource> sessionSources() {
        return sessionSources;
    }

    @Override
    public PortGroupConfiguration portGroups() {
        return portGroups;
    }

    @Override
    public List<TargetPorts.Port> targetPorts() {
        TargetPorts p = targetPorts;
        return p == null ? List.of() : p.ports();
    }

    private void accept() {
        while (server.isOpen()) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (server.isOpen()) {
                    LOG.error("control socket accept failed; jtgtadm cannot reach this instance", e);
                }
                return;
            }
            try {
                workers.execute(() -> serve(client));
            } catch (RejectedExecutionException e) {
                answer(client, Reply.failed("busy: " + MAX_CLIENTS + " requests are running; try again"));
            }
        }
    }

    private void serve(SocketChannel client) {
        ScheduledFuture<?> timeout = timeouts.schedule(() -> closeQuietly(client), REQUEST_TIMEOUT_SECONDS,
                TimeUnit.SECONDS);
        Reply reply;
        List<String> args = null;
        try {
            ByteBuffer request = ByteBuffer.allocate(ControlProtocol.MAX_REQUEST + 1);
            boolean oversized = false;
            while (client.read(request) >= 0) {
                if (!request.hasRemaining()) {
                    // Read the rest (the timeout bounds it) and discard it: closing with unread
                    // input would reset the connection, and the client would never see why.
                    oversized = true;
                    request.clear();
                }
            }
            timeout.cancel(false);
            if (oversized) {
                throw new MalformedRequestException("request longer than " + ControlProtocol.MAX_REQUEST + " bytes");
            }
            args = ControlProtocol.parseRequest(request.flip());
            reply = commands.execute(args);
        } catch (MalformedRequestException e) {
            reply = Reply.usage("malformed request: " + e.getMessage());
        } catch (IOException e) {
            LOG.debug("control client went away: {}", e.toString());
            closeQuietly(client);
            return;
        } catch (RuntimeException e) {
            LOG.error("jtgtadm {} failed", args, e);
            reply = Reply.failed("internal error: " + e);
        } finally {
            timeout.cancel(false);
        }
        if (reply.status() == Reply.OK && args != null && isChange(args)) {
            LOG.info("jtgtadm {}: {}", String.join(" ", args), reply.text().strip());
        }
        answer(client, reply);
    }

    /** Changes are logged; shows are not. */
    private static boolean isChange(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if ((a.equals("--op") || a.equals("-o")) && i + 1 < args.size()) {
                return !args.get(i + 1).equals("show");
            }
            if (a.startsWith("--op=")) {
                return !a.equals("--op=show");
            }
        }
        return false;
    }

    private static void answer(SocketChannel client, Reply reply) {
        try (client) {
            ByteBuffer out = ByteBuffer.wrap(ControlProtocol.reply(reply));
            while (out.hasRemaining()) {
                client.write(out);
            }
        } catch (IOException e) {
            LOG.debug("control client went away before its reply: {}", e.toString());
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    private static Thread daemonThread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
