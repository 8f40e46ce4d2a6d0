package org.jtgt.admin;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What travels on the control socket, one exchange per connection:
 *
 * <pre>
 * request  (jtgtadm → jtgt):  arg NUL arg NUL ... arg NUL, then the client shuts its output down
 * reply    (jtgt → jtgtadm):  exit status in decimal, LF, message text (UTF-8), then the server closes
 * </pre>
 *
 * The arguments are jtgtadm's command line as given (after its own {@code --control}); the exit
 * status is what jtgtadm exits with: {@link Reply#OK}, {@link Reply#FAILED}, {@link Reply#USAGE}.
 * A request is at most {@value #MAX_REQUEST} bytes and {@value #MAX_ARGS} arguments.
 */
final class ControlProtocol {
    static final int MAX_REQUEST = 64 * 1024;
    static final int MAX_ARGS = 256;

    /** An answer: exit status and text for the user. */
    record Reply(int status, String text) {
        static final int OK = 0;
        static final int FAILED = 1;
        static final int USAGE = 2;

        static Reply ok(String text) {
            return new Reply(OK, text);
        }

        static Reply failed(String text) {
            return new Reply(FAILED, text);
        }

        static Reply usage(String text) {
            return new Reply(USAGE, text);
        }
    }

    /** Thrown for a request that is not NUL-terminated arguments within the bounds. */
    static final class MalformedRequestException extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedRequestException(String message) {
            super(message);
        }
    }

    private ControlProtocol() {
    }

    /** Splits a whole request into its arguments. */
    static List<String> parseRequest(ByteBuffer request) throws MalformedRequestException {
        List<String> args = new ArrayList<>();
        int start = request.position();
        for (int i = start; i < request.limit(); i++) {
            if (request.get(i) == 0) {
                if (args.size() == MAX_ARGS) {
                    throw new MalformedRequestException("more than " + MAX_ARGS + " arguments");
                }
                byte[] word = new byte[i - start];
                request.get(start, word);
                args.add(new String(word, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start != request.limit()) {
            throw new MalformedRequestException("request does not end with NUL (truncated?)");
        }
        return args;
    }

    /** The bytes of a request, as jtgtadm sends them; for tests. */
    static byte[] request(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String a : args) {
            out.writeBytes(a.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    static byte[] reply(Reply reply) {
        String text = reply.text().endsWith("\n") || reply.text().isEmpty() ? reply.text() : reply.text() + "\n";
        return (reply.status() + "\n" + text).getBytes(StandardCharsets.UTF_8);
    }
}
