package org.jtgt.daemon;

/**
 * Big-endian field access to a CDB held in a byte array (SPC-4 4.3: every multi-byte CDB field
 * is big-endian), plus the CDB length implied by an operation code's group (SPC-4 4.3.2,
 * operation code groups). The event codec's {@code LittleEndian} is for event records only, never for CDBs.
 */
final class Cdb {
    /** Bit 2 of the CONTROL byte: NACA (SAM-5 5.2, the CONTROL byte). */
    static final int CONTROL_NACA = 0x04;
    /** Bit position of NACA, for the sense-key specific bit pointer. */
    static final int CONTROL_NACA_BIT = 2;

    private Cdb() {
    }

    static int u8(byte[] cdb, int i) {
        return cdb[i] & 0xFF;
    }

    static int u16(byte[] cdb, int i) {
        return (cdb[i] & 0xFF) << 8 | (cdb[i + 1] & 0xFF);
    }

    static int u24(byte[] cdb, int i) {
        return (cdb[i] & 0xFF) << 16 | (cdb[i + 1] & 0xFF) << 8 | (cdb[i + 2] & 0xFF);
    }

    /** An unsigned 32-bit field. */
    static long u32(byte[] cdb, int i) {
        return ((long) (cdb[i] & 0xFF) << 24) | (cdb[i + 1] & 0xFF) << 16 | (cdb[i + 2] & 0xFF) << 8 | (cdb[i + 3] & 0xFF);
    }

    /** A 64-bit field; LBAs above 2^63 come back negative and must be compared unsigned. */
    static long u64(byte[] cdb, int i) {
        return u32(cdb, i) << 32 | u32(cdb, i + 4);
    }

    /**
     * The length of a CDB with this operation code from its group code (bits 7..5): 6, 10, 10,
     * 16 or 12 bytes; 0 for the reserved and vendor-specific groups and for variable-length CDBs
     * (group 3), which this daemon does not implement.
     */
    static int lengthForOpcode(int opcode) {
        switch (opcode >>> 5) {
            case 0:
                return 6;
            case 1:
            case 2:
                return 10;
            case 4:
                return 16;
            case 5:
                return 12;
            default:
                return 0;
        }
    }
}
