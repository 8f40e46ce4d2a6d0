package org.jtgt.daemon;

/** CDB builders for tests (big-endian fields, SPC-4/SBC-3 layouts). */
final class Cdbs {
    private Cdbs() {
    }

    static void be(byte[] cdb, int at, long value, int bytes) {
        for (int i = 0; i < bytes; i++) {
            cdb[at + i] = (byte) (value >>> (8 * (bytes - 1 - i)));
        }
    }

    static byte[] testUnitReady() {
        return new byte[6];
    }

    static byte[] inquiry(boolean evpd, int page, int allocation) {
        byte[] c = new byte[6];
        c[0] = 0x12;
        c[1] = (byte) (evpd ? 1 : 0);
        c[2] = (byte) page;
        be(c, 3, allocation, 2);
        return c;
    }

    static byte[] requestSense(int allocation) {
        byte[] c = new byte[6];
        c[0] = 0x03;
        c[4] = (byte) allocation;
        return c;
    }

    static byte[] reportLuns(int select, int allocation) {
        byte[] c = new byte[12];
        c[0] = (byte) 0xA0;
        c[2] = (byte) select;
        be(c, 6, allocation, 4);
        return c;
    }

    static byte[] readCapacity10() {
        byte[] c = new byte[10];
        c[0] = 0x25;
        return c;
    }

    static byte[] readCapacity16(int allocation) {
        byte[] c = new byte[16];
        c[0] = (byte) 0x9E;
        c[1] = 0x10;
        be(c, 10, allocation, 4);
        return c;
    }

    static byte[] rw6(boolean write, long lba, int blocks) {
        byte[] c = new byte[6];
        c[0] = (byte) (write ? 0x0A : 0x08);
        be(c, 1, lba, 3);
        c[4] = (byte) blocks;
        return c;
    }

    static byte[] rw10(boolean write, long lba, int blocks, int flags) {
        byte[] c = new byte[10];
        c[0] = (byte) (write ? 0x2A : 0x28);
        c[1] = (byte) flags;
        be(c, 2, lba, 4);
        be(c, 7, blocks, 2);
        return c;
    }

    static byte[] rw12(boolean write, long lba, long blocks, int flags) {
        byte[] c = new byte[12];
        c[0] = (byte) (write ? 0xAA : 0xA8);
        c[1] = (byte) flags;
        be(c, 2, lba, 4);
        be(c, 6, blocks, 4);
        return c;
    }

    static byte[] rw16(boolean write, long lba, long blocks, int flags) {
        byte[] c = new byte[16];
        c[0] = (byte) (write ? 0x8A : 0x88);
        c[1] = (byte) flags;
        be(c, 2, lba, 8);
        be(c, 10, blocks, 4);
        return c;
    }

    static byte[] verify10(long lba, int blocks, int bytchk) {
        byte[] c = new byte[10];
        c[0] = 0x2F;
        c[1] = (byte) (bytchk << 1);
        be(c, 2, lba, 4);
        be(c, 7, blocks, 2);
        return c;
    }

    static byte[] verify16(long lba, long blocks, int bytchk) {
        byte[] c = new byte[16];
        c[0] = (byte) 0x8F;
        c[1] = (byte) (bytchk << 1);
        be(c, 2, lba, 8);
        be(c, 10, blocks, 4);
        return c;
    }

    static byte[] synchronizeCache10(long lba, int blocks) {
        byte[] c = new byte[10];
        c[0] = 0x35;
        be(c, 2, lba, 4);
        be(c, 7, blocks, 2);
        return c;
    }

    static byte[] synchronizeCache16(long lba, long blocks) {
        byte[] c = new byte[16];
        c[0] = (byte) 0x91;
        be(c, 2, lba, 8);
        be(c, 10, blocks, 4);
        return c;
    }

    static byte[] modeSense6(int flags, int pc, int page, int subpage, int allocation) {
        byte[] c = new byte[6];
        c[0] = 0x1A;
        c[1] = (byte) flags;
        c[2] = (byte) (pc << 6 | page);
        c[3] = (byte) subpage;
        c[4] = (byte) allocation;
        return c;
    }

    static byte[] modeSense10(int flags, int pc, int page, int subpage, int allocation) {
        byte[] c = new byte[10];
        c[0] = 0x5A;
        c[1] = (byte) flags;
        c[2] = (byte) (pc << 6 | page);
        c[3] = (byte) subpage;
        be(c, 7, allocation, 2);
        return c;
    }
}
