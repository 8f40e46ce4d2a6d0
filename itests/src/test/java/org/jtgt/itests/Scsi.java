package org.jtgt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.loopback.LoopbackSession;
import org.jtgt.api.loopback.ScsiResult;
import org.jtgt.api.scsi.ScsiStatus;
import org.jtgt.api.scsi.SenseData;
import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.TargetAdmin;
import org.jtgt.api.target.TargetInfo;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;

/** Assertions and waits shared by the loopback tests. */
final class Scsi {
    private Scsi() {
    }

    /** Runs a command and requires GOOD; the message carries the CDB and the result. */
    static ScsiResult good(LoopbackSession session, byte[] cdb, ByteBuffer out, ByteBuffer in) throws IOException {
        ScsiResult result = session.execute(0, cdb, out, in);
        assertEquals(name(cdb) + " -> " + result, ScsiStatus.GOOD, result.status());
        return result;
    }

    /** Requires CHECK CONDITION with the given sense key, ASC and ASCQ. */
    static void checkCondition(ScsiResult result, byte[] cdb, int key, int asc, int ascq) {
        String what = name(cdb) + " -> " + result;
        assertEquals(what, ScsiStatus.CHECK_CONDITION, result.status());
        SenseData sense = result.senseData();
        assertNotNull(what + ": no parsable sense data", sense);
        assertEquals(what, new SenseData(key, asc, ascq), sense);
    }

    /**
     * TEST UNIT READY until GOOD. A new I_T nexus may first report a UNIT ATTENTION (SAM-5 5.14,
     * e.g. 29h/00h POWER ON OCCURRED); anything else, or more than a few, fails.
     */
    static void awaitReady(LoopbackSession session) throws IOException {
        for (int attempt = 0; attempt < 4; attempt++) {
            ScsiResult result = session.execute(0, Cdbs.testUnitReady(), null, null);
            if (result.good()) {
                return;
            }
            SenseData sense = result.senseData();
            assertTrue("TEST UNIT READY -> " + result, result.status() == ScsiStatus.CHECK_CONDITION
                    && sense != null && sense.key() == SenseKey.UNIT_ATTENTION);
        }
        throw new AssertionError("TEST UNIT READY still reports unit attentions after 4 tries");
    }

    /** Waits until the daemon lists {@code name} (DefaultTarget creates it when it activates). */
    static void awaitTarget(TargetAdmin admin, String name) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            for (TargetInfo target : admin.targets()) {
                if (target.name().equals(name) && !target.luns().isEmpty()) {
                    return;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("target " + name + " with a LUN did not appear within 30 s; targets: " + admin.targets());
    }

    /** The installed bundle with this symbolic name, or null. */
    static Bundle bundle(BundleContext context, String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        return null;
    }

    static String name(byte[] cdb) {
        return String.format("CDB %02Xh", cdb[0] & 0xFF);
    }
}
