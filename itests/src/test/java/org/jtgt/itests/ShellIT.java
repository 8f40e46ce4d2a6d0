package org.jtgt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.target.TargetInfo;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The {@code jtgt:*} commands in a real Gogo shell: a target, a LUN and an ACL made from the
 * shell reach the daemon and {@code targets.conf}; a refusal is an error of the command.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ShellIT {
    private static final String IQN = "iqn.2026-11.org.jtgt.itests:shell";

    @Inject
    private CommandProcessor processor;

    @Inject
    private TargetAdmin admin;

    @Configuration
    public Option[] config() {
        File dir = new File("target/shell-it").getAbsoluteFile();
        return new Option[] {JtgtOptions.framework(
                frameworkProperty("jtgt.control").value(new File(dir, "control.sock").getPath()),
                frameworkProperty("jtgt.config.dir").value(dir.getPath()),
                bundle(JtgtOptions.file("org.apache.felix.gogo.runtime")).startLevel(2),
                bundle(JtgtOptions.file("jtgt-config")),
                bundle(JtgtOptions.file("jtgt-admin")))};
    }

    @Test
    public void shellCommandsManageTargets() throws Exception {
        String shown = execute("jtgt:system show");
        assertTrue(shown, shown.contains("direct (active)"));

        assertEquals("target 7 " + IQN + " created", execute("jtgt:target new --tid 7 -T " + IQN));
        assertEquals("target 7 LUN 0: 1048576 bytes, memory",
                execute("jtgt:lun new --tid 7 --lun 0 --bstype memory --size 1048576"));
        assertTrue(execute("jtgt:acl bind --tid 7 -Q iqn.2026-11.org.jtgt.itests:host").contains("ACL"));
        assertEquals("No sessions", execute("jtgt:session show --tid 7"));
        assertEquals("account shelluser created", execute("jtgt:account new --user shelluser --password shell-secret1"));
        assertEquals("incoming user shelluser bound to target 7 " + IQN, execute("jtgt:account bind --tid 7 --user shelluser"));
        assertEquals("Account list:\n    shelluser (tid 7)", execute("jtgt:account show"));
        try {
            execute("jtgt:account new --user other --password short");
            fail("a short secret was accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("12 to 16"));
        }
        assertEquals("Target 7: " + IQN + "\n    LUN 0: commands 0, read 0 bytes, written 0 bytes, errors (CHECK CONDITION) 0",
                execute("jtgt:stats show --tid 7"));
        TargetInfo t = admin.targets().stream().filter(i -> i.name().equals(IQN)).findFirst().orElseThrow();
        assertEquals(1, t.luns().size());
        assertEquals(java.util.List.of("iqn.2026-11.org.jtgt.itests:host"), t.acl());

        Path conf = Path.of(System.getProperty("user.dir"), "target", "shell-it", "targets.conf");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(Files.exists(conf) && Files.readString(conf).contains("acl 7 iqn.2026-11.org.jtgt.itests:host"))) {
            assertTrue("targets.conf does not record the change", System.nanoTime() < deadline);
            Thread.sleep(20);
        }

        assertEquals("target 7 LUN 0: size 1048576 -> 2097152 bytes, options readonly=0 removable=0 thin=1 -> "
                + "readonly=1 removable=0 thin=1", execute("jtgt:lun update --tid 7 --lun 0 -P size=2097152,readonly=on"));
        t = admin.targets().stream().filter(i -> i.name().equals(IQN)).findFirst().orElseThrow();
        assertEquals(2097152, t.luns().get(0).sizeBytes());
        assertTrue(t.luns().get(0).options().readOnly());
        try {
            execute("jtgt:lun update --tid 7 --lun 0 -P size=1048576");
            fail("shrinking was accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("shrinking"));
        }

        try {
            execute("jtgt:target new --tid 7 -T " + IQN);
            fail("a duplicate tid was accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("7"));
        }
        assertEquals("target 7 " + IQN + " deleted", execute("jtgt:target delete --tid 7 --force"));
        assertEquals("account shelluser deleted", execute("jtgt:account delete --user shelluser"));
    }

    private String execute(String command) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        CommandSession session = processor.createSession(System.in, print, print);
        try {
            Object result = session.execute(command);
            return result == null ? out.toString(StandardCharsets.UTF_8) : result.toString();
        } finally {
            session.close();
        }
    }
}
