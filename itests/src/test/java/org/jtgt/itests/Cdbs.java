package org.jtgt.itests;

import java.nio.ByteBuffer;

/** CDBs for the commands the tests send (SPC-4, SBC-4; all fields big-endian). */
final class Cdbs {
    static final int TEST_UNIT_READY = 0x00;
    static final int INQUIRY = 0x12;
    static final int READ_CAPACITY_10 = 0x25;
    static final int READ_10 = 0x28;
    static final int WRITE_10 = 0x2A;
    static final int READ_16 = 0x88;
    static final int WRITE_16 = 0x8A;

    private Cdbs() {
    }

    /** TEST UNIT READY, SPC-4 6.47. */
    static byte[] testUnitReady() {
        return new byte[6];
    }

    /** INQUIRY, SPC-4 6.6: standard data, {@code allocationLength} bytes at most. */
    static byte[] inquiry(int allocationLength) {
        byte[] cdb = new byte[6];
        cdb[0] = INQUIRY;
        cdb[3] = (byte) (allocationLength >>> 8);
        cdb[4] = (byte) allocationLength;
        return cdb;
    }

    /** READ CAPACITY (10), SBC-4 5.20: 8 bytes, last LBA and block length. */
    static byte[] readCapacity10() {
        byte[] cdb = new byte[10];
        cdb[0] = READ_CAPACITY_10;
        return cdb;
    }

    /** READ (10) / WRITE (10), SBC-4 5.16 / 5.40. */
    static byte[] rw10(int opcode, long lba, int blocks) {
        byte[] cdb = new byte[10];
        ByteBuffer b = ByteBuffer.wrap(cdb);
        b.put(0, (byte) opcode);
        b.putInt(2, (int) lba);
        b.putShort(7, (short) blocks);
        return cdb;
    }

    /** READ (16) / WRITE (16), SBC-4 5.19 / 5.43. */
    static byte[] rw16(int opcode, long lba, int blocks) {
        byte[] cdb = new byte[16];
        ByteBuffer b = ByteBuffer.wrap(cdb);
        b.put(0, (byte) opcode);
        b.putLong(2, lba);
        b.putInt(10, blocks);
        return cdb;
    }

    static byte[] read10(long lba, int blocks) {
        return rw10(READ_10, lba, blocks);
    }

    static byte[] write10(long lba, int blocks) {
        return rw10(WRITE_10, lba, blocks);
    }

    static byte[] read16(long lba, int blocks) {
        return rw16(READ_16, lba, blocks);
    }

    static byte[] write16(long lba, int blocks) {
        return rw16(WRITE_16, lba, blocks);
    }
}
