package org.jtgt.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.code_intelligence.jazzer.junit.FuzzTest;

import org.jtgt.admin.ControlProtocol.Reply;
import org.jtgt.config.ConfiguredTargets;
import org.jtgt.config.FakeDaemon;

/**
 * Coverage-guided fuzz target (Jazzer) for the admin bundle's input: requests on the control
 * socket (NUL-terminated arguments, then jtgtadm's options and commands; {@code targets.conf}
 * lines are the config bundle's {@code ConfigFuzzTargetsTest}). Under {@code mvn verify} each target runs over the inputs in
 * {@code AdminFuzzTargetsTestInputs/<method>/}; see {@code scripts/fuzz-long.sh} for fuzzing.
 */
class AdminFuzzTargetsTest {
    private static final Path DIR = Path.of("target", "admin-fuzz").toAbsolutePath();

    /**
     * A control socket request (the bytes a client sends before shutting its output down): it
     * either is NUL-terminated arguments within the bounds or is refused as malformed; arguments
     * are then run as jtgtadm's command line against a daemon without a file backing store
     * (so no path is ever created), and every request gets an answer with a defined exit status,
     * never an exception (which the socket could only answer with "internal error").
     */
    @FuzzTest(maxDuration = "")
    void controlRequest(byte[] input) throws IOException {
        List<String> args;
        try {
            args = ControlProtocol.parseRequest(ByteBuffer.wrap(input, 0, Math.min(input.length, ControlProtocol.MAX_REQUEST)));
        } catch (ControlProtocol.MalformedRequestException e) {
            assertNotNull(e.getMessage());
            return;
        }
        assertTrue(args.size() <= ControlProtocol.MAX_ARGS);
        int nuls = 0;
        for (int i = 0; i < Math.min(input.length, ControlProtocol.MAX_REQUEST); i++) {
            nuls += input[i] == 0 ? 1 : 0;
        }
        assertEquals(nuls, args.size());

        Files.createDirectories(DIR);
        Files.deleteIfExists(DIR.resolve("targets.conf"));
        FakeDaemon daemon = new FakeDaemon();
        daemon.fileProvider = false;
        ConfiguredTargets configured = new ConfiguredTargets(DIR.resolve("targets.conf"), daemon);
        configured.load();
        AdminCommands commands = AdminCommandsTest.over(daemon, configured);
        // Two commands: the second sees what the first created.
        int split = args.indexOf("--");
        List<List<String>> runs = split < 0 ? List.of(args) : List.of(args.subList(0, split), args.subList(split + 1, args.size()));
        for (List<String> run : runs) {
            Reply reply = commands.execute(run);
            assertNotNull(reply);
            assertTrue(reply.status() == Reply.OK || reply.status() == Reply.FAILED || reply.status() == Reply.USAGE,
                    "exit status " + reply.status());
            assertNotNull(reply.text());
            byte[] bytes = ControlProtocol.reply(reply);
            assertTrue(new String(bytes, StandardCharsets.UTF_8).startsWith(reply.status() + "\n"));
        }
    }
}
