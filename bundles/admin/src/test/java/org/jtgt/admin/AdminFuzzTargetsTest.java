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
import org.jtgt.api.host.TransportControl;
import org.jtgt.api.target.SessionSource;
import org.jtgt.api.target.TargetAdmin;

/**
 * Coverage-guided fuzz targets (Jazzer) for the admin bundle's input: lines of
 * {@code targets.conf}, and requests on the control socket (NUL-terminated arguments, then
 * jtgtadm's options and commands). Under {@code mvn verify} each target runs over the inputs in
 * {@code AdminFuzzTargetsTestInputs/<method>/}; see {@code scripts/fuzz-long.sh} for fuzzing.
 */
class AdminFuzzTargetsTest {
    private static final Path DIR = Path.of("target", "admin-fuzz").toAbsolutePath();

    /**
     * A targets.conf as a user may have edited it: parsing never fails (bad lines are skipped with
     * a reason), and what jtgt would write back reads as the same configuration with nothing
     * skipped: the file jtgt writes is a fixed point.
     */
    @FuzzTest(maxDuration = "")
    void targetsFileLines(byte[] input) {
        List<String> lines = new String(input, StandardCharsets.UTF_8).lines().toList();
        TargetsFile.Contents c = TargetsFile.parse(lines);
        for (TargetsFile.Skipped s : c.skipped()) {
            assertNotNull(s.reason());
            assertTrue(s.line() >= 1 && s.line() <= lines.size());
        }
        String written = TargetsFile.format(c.targets(), c.accounts(), List.of());
        TargetsFile.Contents again = TargetsFile.parse(written.lines().toList());
        assertEquals(List.of(), again.skipped(), "jtgt's own file has lines it skips:\n" + written);
        assertEquals(written, TargetsFile.format(again.targets(), again.accounts(), List.of()), "read back differently");
        // With the skipped lines appended as comments, the file still reads the same.
        String withSkipped = TargetsFile.format(c.targets(), c.accounts(), c.skipped());
        assertEquals(written, TargetsFile.format(TargetsFile.parse(withSkipped.lines().toList()).targets(),
                TargetsFile.parse(withSkipped.lines().toList()).accounts(), List.of()), "skipped lines changed the file");
    }

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
        Files.deleteIfExists(DIR.resolve(TargetsFile.NAME));
        FakeDaemon daemon = new FakeDaemon();
        daemon.fileProvider = false;
        ConfiguredTargets configured = new ConfiguredTargets(DIR.resolve(TargetsFile.NAME), daemon);
        configured.load();
        AdminCommands commands = new AdminCommands(new AdminCommands.Services() {
            @Override
            public TransportControl transportControl() {
                return null;
            }

            @Override
            public TargetAdmin targetAdmin() {
                return daemon.targetAdmin();
            }

            @Override
            public ConfiguredTargets configuredTargets() {
                return configured;
            }

            @Override
            public List<SessionSource> sessionSources() {
                return daemon.sources;
            }
        });
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
