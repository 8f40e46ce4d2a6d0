package org.jtgt.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.jtgt.api.scsi.SenseKey;
import org.jtgt.api.target.LunOptions;
import org.junit.jupiter.api.Test;

/** WRITE AND VERIFY (10/12/16), SBC-3 5.37–5.39. */
class WriteAndVerifyTest {
    private final Harness h = Harness.withLun();

    private static byte[] wav(int opcode, long lba, int blocks, int bytchk) {
        byte[] c = new byte[opcode == 0x2E ? 10 : opcode == 0xAE ? 12 : 16];
        c[0] = (byte) opcode;
        c[1] = (byte) (bytchk << 1);
        if (opcode == 0x8E) {
            for (int i = 0; i < 8; i++) {
                c[2 + i] = (byte) (lba >>> (56 - 8 * i));
            }
            c[10] = (byte) (blocks >>> 24); c[11] = (byte) (blocks >>> 16); c[12] = (byte) (blocks >>> 8); c[13] = (byte) blocks;
        } else {
            c[2] = (byte) (lba >>> 24); c[3] = (byte) (lba >>> 16); c[4] = (byte) (lba >>> 8); c[5] = (byte) lba;
            if (opcode == 0x2E) {
                c[7] = (byte) (blocks >>> 8); c[8] = (byte) blocks;
            } else {
                c[6] = (byte) (blocks >>> 24); c[7] = (byte) (blocks >>> 16); c[8] = (byte) (blocks >>> 8); c[9] = (byte) blocks;
            }
        }
        return c;
    }

    @Test
    void everyFormWritesWhatReadsBack() {
        int lba = 0;
        for (int opcode : new int[] {0x2E, 0xAE, 0x8E}) {
            for (int bytchk = 0; bytchk <= 1; bytchk++) {
                byte[] data = Harness.pattern(3 * 512, opcode + bytchk);
                h.write(0, wav(opcode, lba, 3, bytchk), data).assertGood();
                Harness.Result r = h.read(0, Cdbs.rw10(false, lba, 3, 0), 3 * 512);
                r.assertGood();
                assertArrayEquals(data, r.data(), "opcode 0x" + Integer.toHexString(opcode) + " BYTCHK " + bytchk);
                lba += 3;
            }
        }
    }

    @Test
    void rangeReservedFieldsAndWriteProtectAreChecked() {
        h.write(0, wav(0x2E, Harness.SIZE / 512 - 1, 2, 1), new byte[1024]).assertSense(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00);
        h.write(0, wav(0x8E, 0, 1, 2), new byte[512]).assertSense(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00);
        Harness ro = Harness.withLun(new LunOptions(true, false, false, null));
        ro.write(0, wav(0xAE, 0, 1, 0), new byte[512]).assertSense(SenseKey.DATA_PROTECT, 0x27, 0x00);
    }
}
