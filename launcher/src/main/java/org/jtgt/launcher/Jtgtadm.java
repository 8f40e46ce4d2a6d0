package org.jtgt.launcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code jtgtadm}: sends its command line to a running jtgt over the control socket and prints
 * the answer; the admin bundle ({@code org.jtgt.admin.ControlSocket}) executes it. The socket is
 * {@code --control PATH}, else {@code $JTGT_CONTROL}, else {@code ./jtgt-data/control.sock} (the
 * launcher's default {@code --config} directory).
 *
 * <p>Wire format, one exchange per connection: the arguments, each followed by a NUL byte, then
 * end of stream; the reply is the exit status in decimal, a line feed and the message text.
 *
 * <p>Exit status: the reply's (0 done, 1 refused or failed, 2 bad command line), or 3 if no jtgt
 * answers at the socket.
 */
public final class Jtgtadm {
    static final String CONTROL_ENV = "JTGT_CONTROL";
    static final String SOCKET_NAME = "control.sock";
    static final int EXIT_UNREACHABLE = 3;
    private static final int MAX_REPLY = 1 << 20;

    private Jtgtadm() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv(), System.out, System.err));
    }

    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        List<String> forward = new ArrayList<>();
        String control = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--control")) {
                if (i + 1 == args.length) {
                    err.println("jtgtadm: option --control needs an argument PATH");
                    return Main.EXIT_USAGE;
                }
                control = args[++i];
            } else if (a.startsWith("--control=")) {
                control = a.substring("--control=".length());
            } else if (a.equals("--help") || a.equals("-h")) {
                out.print(usage());
                return Main.EXIT_OK;
            } else {
                forward.add(a);
            }
        }
        if (forward.isEmpty()) {
            err.print("jtgtadm: nothing to do\n" + usage());
            return Main.EXIT_USAGE;
        }
        Path socket = Path.of(control != null ? control
                : env.getOrDefault(CONTROL_ENV, Path.of(LauncherOptions.DEFAULT_CONFIG_DIR, SOCKET_NAME).toString()));
        String reply;
        try {
            reply = exchange(socket, forward);
        } catch (IOException e) {
            err.println("jtgtadm: no jtgt answers at " + socket.toAbsolutePath() + " (" + e.getMessage()
                    + "); is it running? --control PATH or " + CONTROL_ENV + " names another socket");
            return EXIT_UNREACHABLE;
        }
        int nl = reply.indexOf('\n');
        int status;
        try {
            status = Integer.parseInt(nl < 0 ? reply : reply.substring(0, nl));
        } catch (NumberFormatException e) {
            err.println("jtgtadm: unexpected answer from " + socket + ": " + reply);
            return Main.EXIT_FAILURE;
        }
        String text = nl < 0 ? "" : reply.substring(nl + 1);
        if (status == Main.EXIT_OK) {
            out.print(text);
        } else {
            err.print(text.isEmpty() ? "" : "jtgtadm: " + text);
        }
        return status;
    }

    private static String exchange(Path socket, List<String> args) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            for (String a : args) {
                request.writeBytes(a.getBytes(StandardCharsets.UTF_8));
                request.write(0);
            }
            ByteBuffer out = ByteBuffer.wrap(request.toByteArray());
            while (out.hasRemaining()) {
                channel.write(out);
            }
            channel.shutdownOutput();
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(8192);
            while (channel.read(in) >= 0) {
                reply.write(in.array(), 0, in.position());
                in.clear();
                if (reply.size() > MAX_REPLY) {
                    throw new IOException("reply longer than " + MAX_REPLY + " bytes");
                }
            }
            return reply.toString(StandardCharsets.UTF_8);
        }
    }

    static String usage() {
        return """
                usage: jtgtadm [--control PATH] --mode MODE --op OP [options]
                  --control PATH                     control socket of the running jtgt (default $JTGT_CONTROL,
                                                     else ./jtgt-data/control.sock)
                  --mode system --op show            transports, swap pauses, targets and LUNs
                  --mode transport --op show         registered transports, the active one, swap pause times
                  --mode transport --op swap --name NAME
                                                     make NAME (direct, shm, netlink) the active transport, live
                  --mode target --op show            targets, LUNs, ACLs, sessions
                  --mode logicalunit --op update --tid N --lun L -P size=BYTES,readonly=on|off,removable=on|off
                                                     grow a LUN, change its options in place
                  --mode session|conn|stats --op show [--tid N]
                                                     sessions, their connections, command statistics
                  --mode account --op new|delete|bind|unbind|show [--user U] [--password P] [--tid N] [--outgoing]
                                                     per-target CHAP accounts (iSCSI)
                Options take their argument as the next word or after '=', with tgtadm's short forms
                (-m MODE, -o OP, -n NAME). Exit status: 0 done, 1 refused, 2 bad command line,
                3 no jtgt answers at the socket.
                """;
    }
}
