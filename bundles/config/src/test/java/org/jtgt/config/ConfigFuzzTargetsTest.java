package org.jtgt.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;

import com.code_intelligence.jazzer.junit.FuzzTest;

import org.jtgt.api.store.BackingStoreProvider;

/**
 * Coverage-guided fuzz target (Jazzer) for the config bundle's input: lines of
 * {@code targets.conf}. Under {@code mvn verify} it runs over the inputs in
 * {@code ConfigFuzzTargetsTestInputs/targetsFileLines/}; see {@code scripts/fuzz-long.sh} for fuzzing.
 */
class ConfigFuzzTargetsTest {
    /** The real store types' providers: their rules decide what a LUN line may say. */
    private static final Function<String, BackingStoreProvider> PROVIDERS = FakeDaemon.REAL_PROVIDERS;

    /**
     * A targets.conf as a user may have edited it: parsing never fails (bad lines are skipped with
     * a reason), and what jtgt would write back reads as the same configuration with nothing
     * skipped: the file jtgt writes is a fixed point.
     */
    @FuzzTest(maxDuration = "")
    void targetsFileLines(byte[] input) {
        List<String> lines = new String(input, StandardCharsets.UTF_8).lines().toList();
        TargetsFile.Contents c = TargetsFile.parse(PROVIDERS, lines);
        for (TargetsFile.Skipped s : c.skipped()) {
            assertNotNull(s.reason());
            assertTrue(s.line() >= 1 && s.line() <= lines.size());
        }
        String written = TargetsFile.format(c.targets(), c.accounts(), c.lunMaps(), List.of());
        TargetsFile.Contents again = TargetsFile.parse(PROVIDERS, written.lines().toList());
        assertEquals(List.of(), again.skipped(), "jtgt's own file has lines it skips:\n" + written);
        assertEquals(written, TargetsFile.format(again.targets(), again.accounts(), again.lunMaps(), List.of()),
                "read back differently");
        // With the skipped lines appended as comments, the file still reads the same.
        String withSkipped = TargetsFile.format(c.targets(), c.accounts(), c.lunMaps(), c.skipped());
        TargetsFile.Contents reread = TargetsFile.parse(PROVIDERS, withSkipped.lines().toList());
        assertEquals(written, TargetsFile.format(reread.targets(), reread.accounts(), reread.lunMaps(), List.of()),
                "skipped lines changed the file");
    }

}
