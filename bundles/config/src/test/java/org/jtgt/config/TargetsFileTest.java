package org.jtgt.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.jtgt.config.TargetsFile.Contents;
import org.jtgt.config.TargetsFile.LunSpec;
import org.jtgt.config.TargetsFile.TargetSpec;
import org.jtgt.api.config.ConfigValues;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/** The targets.conf line format: parsing, broken lines, round trip, atomic replacement. */
class TargetsFileTest {
    private static final Path DIR = Path.of("target", "targets-file-test").toAbsolutePath();
    /** The options of a line that sets none, as the store types' providers have them. */
    private static final LunOptions MEMORY_DEFAULTS = TargetsFile.defaultOptions(FakeDaemon.REAL_PROVIDERS.apply("memory"));
    private static final LunOptions FILE_DEFAULTS = TargetsFile.defaultOptions(FakeDaemon.REAL_PROVIDERS.apply("file"));

    @Test
    void parsesEveryKindOfLine() {
        Contents c = TargetsFile.parse(FakeDaemon.REAL_PROVIDERS, List.of(
                "# a comment",
                "",
                "target 1 iqn.2026-11.org.jtgt:one",
                "lun 1 0 file /srv/disk0.img size=1048576 blocksize=4096",
                "lun 1 3 memory size=65536",
                "  acl 1 iqn.2026-11.org.jtgt:initiator  ",
                "acl 1 all",
                "target 7 iqn.2026-11.org.jtgt:seven"));
        assertEquals(List.of(), c.skipped());
        assertEquals(List.of(1, 7), List.copyOf(c.targets().keySet()));
        TargetSpec one = c.targets().get(1);
        assertEquals("iqn.2026-11.org.jtgt:one", one.iqn());
        assertEquals(new LunSpec(0, "file", "/srv/disk0.img", 1048576, 4096, FILE_DEFAULTS, 4), one.luns().get(0));
        assertEquals(new LunSpec(3, "memory", null, 65536, 512, MEMORY_DEFAULTS, 5), one.luns().get(3));
        assertEquals(List.of("iqn.2026-11.org.jtgt:initiator", "ALL"), one.acl());
        assertEquals(List.of(), one.daemonAcl(), "ALL admits everyone");
        assertEquals(List.of(), c.targets().get(7).acl());
    }

    @Test
    void brokenLinesAreReportedWithTheirNumberAndTheRestLoads() {
        Contents c = TargetsFile.parse(FakeDaemon.REAL_PROVIDERS, List.of(
                "target 1 iqn.2026-11.org.jtgt:one",
                "target 1 iqn.2026-11.org.jtgt:again",
                "target x iqn.2026-11.org.jtgt:x",
                "lun 2 0 memory size=4096",
                "lun 1 0 memory size=1000",
                "lun 1 1 tape /dev/st0 size=4096",
                "lun 1 2 file relative.img size=4096",
                "lun 1 3 memory size=4096 blocksize=1024",
                "lun 1 4 memory",
                "acl 1 a,b",
                "frobnicate 1",
                "target 2 iqn.2026-11.org.jtgt:ONE",
                "lun 1 5 memory size=8192",
                "lun 1 5 memory size=8192",
                "acl 1 iqn.2026-11.org.jtgt:i"));
        List<String> messages = c.skipped().stream().map(TargetsFile.Skipped::message).collect(Collectors.toList());
        assertEquals(List.of(
                "targets.conf:2: tid 1 is declared twice (line 1)",
                "targets.conf:3: tid 'x' is not a number",
                "targets.conf:4: tid 2 is not declared by an earlier target line",
                "targets.conf:5: size 1000 is not a multiple of the block size 512",
                "targets.conf:7: file path relative.img is not absolute",
                "targets.conf:8: block size '1024' is not supported; use 512 or 4096",
                "targets.conf:9: expected 'lun TID LUN memory|file|rbd [PATH|POOL/IMAGE] size=BYTES [blocksize=512|4096]"
                        + " [readonly=0|1] [removable=0|1] [thin=0|1] [serial=STRING] [physicalblocksize=BYTES]"
                        + " [softthreshold=PERCENT] [STORE-OPTION=VALUE...]'",
                "targets.conf:10: 'a,b' is not an initiator name",
                "targets.conf:11: unknown keyword 'frobnicate' (target, lun, acl, lunmap, account, incominguser, outgoinguser, portgroup)",
                "targets.conf:12: target iqn.2026-11.org.jtgt:ONE is declared twice (tid 1)",
                "targets.conf:14: tid 1 has LUN 5 twice (line 13)"), messages);
        TargetSpec one = c.targets().get(1);
        // a type no provider offers (yet) is no error of the line: its LUN waits for the provider
        assertEquals(List.of(1, 5), List.copyOf(one.luns().keySet()));
        assertEquals(List.of("iqn.2026-11.org.jtgt:i"), one.acl());
        assertEquals(1, c.targets().size());
    }

    @Test
    void formatThenParseGivesTheSameTargets() {
        Contents c = TargetsFile.parse(FakeDaemon.REAL_PROVIDERS, List.of(
                "target 2 iqn.2026-11.org.jtgt:two",
                "acl 2 iqn.2026-11.org.jtgt:i2",
                "target 1 iqn.2026-11.org.jtgt:one",
                "lun 1 1 memory size=65536 blocksize=4096",
                "lun 1 0 file /srv/a.img size=1048576",
                "acl 1 ALL"));
        String text = TargetsFile.format(c.targets(), c.skipped());
        Contents again = TargetsFile.parse(FakeDaemon.REAL_PROVIDERS, text.lines().collect(Collectors.toList()));
        assertEquals(List.of(), again.skipped());
        assertEquals(strip(c), strip(again));
        assertEquals(text, TargetsFile.format(again.targets(), again.skipped()), "stable");
        assertTrue(text.indexOf("target 1 ") < text.indexOf("target 2 "), text);
        assertTrue(text.contains("lun 1 0 file /srv/a.img size=1048576 blocksize=512 readonly=0 removable=0 thin=0\n"), text);
    }

    @Test
    void aSoftThresholdIsReadWrittenAndNeedsAThinLun() {
        Contents c = TargetsFile.parse(FakeDaemon.REAL_PROVIDERS, List.of(
                "target 1 iqn.2026-11.org.jtgt:one",
                "lun 1 0 memory size=65536 softthreshold=80",
                "lun 1 1 file /srv/t.img size=1048576 thin=1 softthreshold=25%",
                "lun 1 2 file /srv/f.img size=1048576 softthreshold=25",
                "lun 1 3 memory size=65536 softthreshold=101",
                "lun 1 4 memory size=65536 softthreshold=lots"));
        assertEquals(new LunOptions(false, false, true, null, 0, 80), c.targets().get(1).luns().get(0).options());
        assertEquals(new LunOptions(false, false, true, null, 0, 25), c.targets().get(1).luns().get(1).options());
        assertEquals(List.of(
                "targets.conf:4: softthreshold=25 needs a thin LUN (thin=1): a fully provisioned LUN has all its space "
                        + "from the start",
                "targets.conf:5: softthreshold=101 is outside 0..100 (percent of the LUN's capacity in use)",
                "targets.conf:6: softthreshold=lots is not a percentage; use 0 (none) to 100"),
                c.skipped().stream().map(TargetsFile.Skipped::message).collect(Collectors.toList()));
        String text = TargetsFile.format(c.targets(), c.skipped());
        assertTrue(text.contains("lun 1 0 memory size=65536 blocksize=512 readonly=0 removable=0 thin=1 "
                + "softthreshold=80\n"), text);
        assertTrue(text.contains("lun 1 1 file /srv/t.img size=1048576 blocksize=512 readonly=0 removable=0 thin=1 "
                + "softthreshold=25\n"), text);
        Contents again = TargetsFile.parse(FakeDaemon.REAL_PROVIDERS, text.lines().collect(Collectors.toList()));
        assertEquals(c.targets().get(1).luns().get(0).options(), again.targets().get(1).luns().get(0).options());
        assertEquals(c.targets().get(1).luns().get(1).options(), again.targets().get(1).luns().get(1).options());
        // jtgtadm's --params: kept when not given, changed when given
        LunOptions kept = ConfigValues.lunOptions(ConfigValues.params("readonly=1"), new LunOptions(false, false, true,
                null, 0, 40));
        assertEquals(40, kept.softThreshold());
        assertEquals(0, ConfigValues.lunOptions(ConfigValues.params("softthreshold=0"), kept).softThreshold());
    }

    @Test
    void lunOptionsAreReadWrittenAndDefaultedForOldLines() {
        Contents c = TargetsFile.parse(FakeDaemon.REAL_PROVIDERS, List.of(
                "target 1 iqn.2026-11.org.jtgt:one",
                "lun 1 0 file /srv/ro.img size=1048576 blocksize=512 readonly=1 removable=1 thin=0 serial=DISK-0001",
                "lun 1 1 memory size=65536 thin=0 readonly=1",
                "lun 1 2 file /srv/old.img size=1048576 blocksize=512",
                "lun 1 3 memory size=65536 blocksize=512",
                "lun 1 4 memory size=65536 physicalblocksize=4096"));
        assertEquals(List.of(), c.skipped());
        TargetSpec one = c.targets().get(1);
        assertEquals(new LunOptions(true, true, false, "DISK-0001"), one.luns().get(0).options());
        assertEquals(new LunOptions(true, false, false, null), one.luns().get(1).options());
        assertEquals(new LunOptions(false, false, false, null), one.luns().get(2).options(), "old file line");
        assertEquals(new LunOptions(false, false, true, null), one.luns().get(3).options(), "old memory line: thin");
        assertEquals(new LunOptions(false, false, true, null, 4096), one.luns().get(4).options());

        String text = TargetsFile.format(c.targets(), c.skipped());
        assertTrue(text.contains("lun 1 0 file /srv/ro.img size=1048576 blocksize=512 readonly=1 removable=1 thin=0 "
                + "serial=DISK-0001\n"), text);
        assertTrue(text.contains("lun 1 1 memory size=65536 blocksize=512 readonly=1 removable=0 thin=0\n"), text);
        assertTrue(text.contains("lun 1 3 memory size=65536 blocksize=512 readonly=0 removable=0 thin=1\n"), text);
        assertTrue(text.contains("lun 1 4 memory size=65536 blocksize=512 readonly=0 removable=0 thin=1 "
                + "physicalblocksize=4096\n"), text);
        Contents again = TargetsFile.parse(FakeDaemon.REAL_PROVIDERS, text.lines().collect(Collectors.toList()));
        assertEquals(List.of(), again.skipped());
        for (int lun = 0; lun < 5; lun++) {
            assertEquals(one.luns().get(lun).options(), again.targets().get(1).luns().get(lun).options(), "LUN " + lun);
        }
    }

    @Test
    void badLunOptionsSkipTheLine() {
        Contents c = TargetsFile.parse(FakeDaemon.REAL_PROVIDERS, List.of(
                "target 1 iqn.2026-11.org.jtgt:one",
                "lun 1 0 memory size=4096 readonly=yes",
                "lun 1 1 memory size=4096 thin=1 thin=0",
                "lun 1 2 memory size=4096 colour=red",
                "lun 1 3 memory size=4096 serial=" + "S".repeat(65),
                "lun 1 4 memory size=4096 serial=",
                "lun 1 5 memory size=4096 serial=" + "S".repeat(64)));
        List<String> messages = c.skipped().stream().map(TargetsFile.Skipped::message).collect(Collectors.toList());
        assertEquals(List.of(
                "targets.conf:2: readonly=yes: use readonly=0|1 or readonly=on|off",
                "targets.conf:3: thin= given twice",
                "targets.conf:4: 'colour=red' is not size=BYTES, blocksize=512|4096, readonly=0|1, removable=0|1, "
                        + "thin=0|1, serial=STRING, physicalblocksize=BYTES or softthreshold=PERCENT",
                "targets.conf:5: serial has 65 characters; at most 64 fit VPD page 80h",
                "targets.conf:6: serial= is empty"), messages);
        assertEquals(List.of(5), List.copyOf(c.targets().get(1).luns().keySet()));
    }

    /**
     * Store options: a file line takes {@code direct=0|1} (after the LUN options, with them
     * counted apart), writes it back sorted after them, and is skipped for a bad value or a key
     * its type does not take, with what the type does take; a line of a type whose provider is not
     * running keeps its store options as they are until the provider can check them.
     */
    @Test
    void storeOptionsAreTheTypesToNameAndCheckAndAreKept() {
        Contents c = TargetsFile.parse(FakeDaemon.REAL_PROVIDERS, List.of(
                "target 1 iqn.2026-11.org.jtgt:one",
                "lun 1 0 file /srv/d.img size=1048576 blocksize=512 direct=1",
                "lun 1 1 file /srv/e.img size=1048576 direct=yes",
                "lun 1 2 file /srv/f.img size=1048576 sync=1",
                "lun 1 3 memory size=4096 direct=1",
                "lun 1 4 file /srv/g.img size=1048576 direct=1 direct=0",
                "lun 1 5 tape /dev/st0 size=4096 density=high",
                "lun 1 6 file /srv/h.img size=1048576 blocksize=512 readonly=1 removable=0 thin=0 serial=H "
                        + "physicalblocksize=4096 direct=0",
                "lun 1 7 file /srv/i.img size=1048576 direct=1 /srv/j.img"));
        List<String> messages = c.skipped().stream().map(TargetsFile.Skipped::message).collect(Collectors.toList());
        String keys = "is not size=BYTES, blocksize=512|4096, readonly=0|1, removable=0|1, thin=0|1, serial=STRING, "
                + "physicalblocksize=BYTES or softthreshold=PERCENT";
        assertEquals(List.of(
                "targets.conf:3: direct=yes: use direct=0|1 (1: open the file with O_DIRECT, bypassing the page cache)",
                "targets.conf:4: 'sync=1' " + keys + " or, for a file LUN, direct=0|1",
                "targets.conf:5: 'direct=1' " + keys,
                "targets.conf:6: direct= given twice",
                "targets.conf:9: '/srv/j.img' " + keys + " or, for a file LUN, direct=0|1"), messages);
        TargetSpec one = c.targets().get(1);
        assertEquals(List.of(0, 5, 6), List.copyOf(one.luns().keySet()));
        assertEquals(Map.of("direct", "1"), one.luns().get(0).storeOptions());
        assertEquals(Map.of("density", "high"), one.luns().get(5).storeOptions(), "unchecked until its provider runs");
        assertEquals(Map.of("direct", "0"), one.luns().get(6).storeOptions());
        assertEquals(new LunOptions(true, false, false, "H", 4096), one.luns().get(6).options());

        String text = TargetsFile.format(c.targets(), List.of());
        assertTrue(text.contains("lun 1 0 file /srv/d.img size=1048576 blocksize=512 readonly=0 removable=0 thin=0 "
                + "direct=1\n"), text);
        assertTrue(text.contains("lun 1 5 tape /dev/st0 size=4096 blocksize=512 readonly=0 removable=0 "
                + "density=high\n"), text);
        assertTrue(text.contains("lun 1 6 file /srv/h.img size=1048576 blocksize=512 readonly=1 removable=0 thin=0 "
                + "serial=H physicalblocksize=4096 direct=0\n"), text);
        Contents again = TargetsFile.parse(FakeDaemon.REAL_PROVIDERS, text.lines().collect(Collectors.toList()));
        assertEquals(List.of(), again.skipped());
        assertEquals(strip(c), strip(again));
        assertEquals(text, TargetsFile.format(again.targets(), List.of()), "stable");
    }

    @Test
    void paramsAreTgtadmsCommaSeparatedKeyValues() {
        assertEquals(Map.of("readonly", "1", "serial", "a=b"), ConfigValues.params("readonly=1,serial=a=b"));
        assertEquals(new LunOptions(false, true, true, null),
                ConfigValues.lunOptions(ConfigValues.params("removable=1"), MEMORY_DEFAULTS));
        assertEquals(new LunOptions(true, false, true, "X"),
                ConfigValues.lunOptions(ConfigValues.params("thin=1,readonly=1,serial=X"), FILE_DEFAULTS));
        paramsRefused("unknown --params key 'scsi_sn' (readonly=0|1, removable=0|1, thin=0|1, serial=STRING, physicalblocksize=BYTES, softthreshold=PERCENT)",
                "scsi_sn=X");
        paramsRefused("--params item '' is not KEY=VALUE (readonly=0|1, removable=0|1, thin=0|1, serial=STRING, physicalblocksize=BYTES, softthreshold=PERCENT)",
                "readonly=1,");
        paramsRefused("--params item 'readonly' is not KEY=VALUE (readonly=0|1, removable=0|1, thin=0|1, serial=STRING, physicalblocksize=BYTES, softthreshold=PERCENT)",
                "readonly");
        paramsRefused("--params key 'thin' given twice", "thin=1,thin=1");
        paramsRefused("removable=true: use removable=0|1 or removable=on|off", "removable=true");
        paramsRefused("serial must be printable ASCII without spaces (VPD page 80h); character 2 is U+00E9", "serial=s\u00e9rie");
        paramsRefused("serial must be printable ASCII without spaces (VPD page 80h); character 2 is U+0020", "serial=a b");
        // the store options of a type are named by its provider (null: not running, every other key kept)
        Map<String, String> file = Map.of("direct", "0|1");
        assertEquals(Map.of("readonly", "1", "direct", "1"),
                ConfigValues.params("readonly=1,direct=1", ConfigValues.OPTION_KEYS, file));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> ConfigValues.params("sync=1", ConfigValues.OPTION_KEYS, file));
        assertEquals("unknown --params key 'sync' (readonly=0|1, removable=0|1, thin=0|1, serial=STRING, "
                + "physicalblocksize=BYTES, softthreshold=PERCENT, direct=0|1)", unknown.getMessage());
        IllegalArgumentException notStore = assertThrows(IllegalArgumentException.class,
                () -> ConfigValues.params("blocksize=4096", ConfigValues.UPDATE_KEYS, null));
        assertEquals("unknown --params key 'blocksize' (readonly=0|1, removable=0|1, thin=0|1, serial=STRING, "
                + "physicalblocksize=BYTES, softthreshold=PERCENT, size=BYTES)", notStore.getMessage());
        Map<String, String> mixed = ConfigValues.params("thin=1,zeta=2,size=4096,alpha=1", ConfigValues.UPDATE_KEYS, null);
        assertEquals(Map.of("thin", "1"), ConfigValues.lunParams(mixed));
        assertEquals(List.of("alpha", "zeta"), List.copyOf(ConfigValues.storeParams(mixed).keySet()));
    }

    private static void paramsRefused(String message, String params) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConfigValues.lunOptions(ConfigValues.params(params), FILE_DEFAULTS));
        assertEquals(message, e.getMessage());
    }

    @Test
    void skippedLinesAreKeptCommentedOutWithTheirReason() {
        Contents c = TargetsFile.parse(FakeDaemon.REAL_PROVIDERS, List.of("target 1 iqn.2026-11.org.jtgt:one", "lun 1 0 memory size=3"));
        String text = TargetsFile.format(c.targets(), c.skipped());
        assertTrue(text.contains("# size 3 is not a multiple of the block size 512\n# lun 1 0 memory size=3\n"), text);
        assertEquals(List.of(), TargetsFile.parse(FakeDaemon.REAL_PROVIDERS, text.lines().collect(Collectors.toList())).skipped());
    }

    @Test
    void writeReplacesTheFileAndLeavesNoTemporaryFile() throws IOException {
        Files.createDirectories(DIR);
        Path file = DIR.resolve(TargetsFile.NAME);
        TargetsFile.write(file, "target 1 iqn.2026-11.org.jtgt:one\n");
        TargetsFile.write(file, "target 2 iqn.2026-11.org.jtgt:two\n");
        assertEquals("target 2 iqn.2026-11.org.jtgt:two\n", Files.readString(file));
        assertFalse(Files.exists(DIR.resolve(TargetsFile.NAME + ".tmp")));
        assertEquals(List.of(2), List.copyOf(TargetsFile.read(file, FakeDaemon.REAL_PROVIDERS).targets().keySet()));
        assertTrue(TargetsFile.read(DIR.resolve("missing.conf"), FakeDaemon.REAL_PROVIDERS).targets().isEmpty());
    }

    /** Targets without the line numbers, which differ between a hand-written and a written file. */
    private static String strip(Contents c) {
        StringBuilder s = new StringBuilder();
        c.targets().values().forEach(t -> {
            s.append(t.tid()).append(t.iqn()).append(t.acl());
            t.luns().values().forEach(l -> s.append(l.format(t.tid())));
        });
        return s.toString();
    }
}
