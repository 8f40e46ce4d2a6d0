package org.jtgt.daemon;

import java.nio.charset.StandardCharsets;

/**
 * Standard INQUIRY data (SPC-4 6.6.2) and the vital product data pages (SPC-4 7.8; the block
 * device pages B0h..B2h from SBC-3) of a direct-access block device, written as Data-In through
 * a {@link CommandContext}.
 */
final class InquiryData {
    // ---- byte 0 of every INQUIRY and VPD response (SPC-4 6.6.2) ----
    static final int DEVICE_TYPE_DIRECT_ACCESS = 0x00;
    /** Peripheral qualifier 011b, device type 1Fh: no logical unit at this LUN. */
    static final int NO_LOGICAL_UNIT = 0x3 << 5 | 0x1F;

    // ---- standard data ----
    static final int RMB = 0x80;
    static final int VERSION_SPC4 = 0x06;
    static final int HISUP = 0x10;
    static final int RESPONSE_DATA_FORMAT = 0x02;
    static final int CMDQUE = 0x02;
    /** Byte 6 bit 4: the target device has two or more target ports (SPC-4 6.6.2). */
    static final int MULTIP = 0x10;
    static final int VENDOR_OFFSET = 8;
    static final int PRODUCT_OFFSET = 16;
    static final int REVISION_OFFSET = 32;
    static final int VERSION_DESCRIPTORS_OFFSET = 58;
    /** Standard data with eight version descriptors ends here. */
    static final int STANDARD_LENGTH = 74;
    /** ADDITIONAL LENGTH counts the bytes after byte 4. */
    static final int STANDARD_HEADER = 5;

    static final byte[] VENDOR = ascii("JTGT    ", 8);
    static final byte[] PRODUCT = ascii("VIRTUAL-DISK    ", 16);
    static final byte[] REVISION = ascii("0001", 4);
    /** SAM-5, SPC-4, SBC-3, iSCSI (SPC-4 table 144, version descriptor values). */
    static final int[] VERSION_DESCRIPTORS = {0x00A0, 0x0460, 0x04C0, 0x0960};

    // ---- VPD pages ----
    static final int EVPD = 0x01;
    static final int CMDDT = 0x02;
    static final int CMDDT_BIT = 1;
    static final int PAGE_SUPPORTED_PAGES = 0x00;
    static final int PAGE_UNIT_SERIAL_NUMBER = 0x80;
    static final int PAGE_DEVICE_IDENTIFICATION = 0x83;
    static final int PAGE_THIRD_PARTY_COPY = 0x8F;
    static final int PAGE_BLOCK_LIMITS = 0xB0;
    static final int PAGE_BLOCK_DEVICE_CHARACTERISTICS = 0xB1;
    static final int PAGE_LOGICAL_BLOCK_PROVISIONING = 0xB2;
    static final int[] SUPPORTED_PAGES = {
        PAGE_SUPPORTED_PAGES, PAGE_UNIT_SERIAL_NUMBER, PAGE_DEVICE_IDENTIFICATION, PAGE_THIRD_PARTY_COPY,
        PAGE_BLOCK_LIMITS, PAGE_BLOCK_DEVICE_CHARACTERISTICS, PAGE_LOGICAL_BLOCK_PROVISIONING,
    };
    /** Every VPD page starts with byte 0, page code, and a 2-byte PAGE LENGTH. */
    static final int VPD_HEADER = 4;

    // ---- designation descriptors (SPC-4 7.8.6) ----
    static final int CODE_SET_BINARY = 0x1;
    static final int CODE_SET_ASCII = 0x2;
    static final int CODE_SET_UTF8 = 0x3;
    static final int ASSOCIATION_LU = 0x00;
    static final int ASSOCIATION_TARGET_PORT = 0x10;
    static final int ASSOCIATION_TARGET_DEVICE = 0x20;
    static final int TYPE_T10_VENDOR_ID = 0x1;
    static final int TYPE_NAA = 0x3;
    static final int TYPE_RELATIVE_TARGET_PORT = 0x4;
    static final int TYPE_TARGET_PORT_GROUP = 0x5;
    static final int TYPE_SCSI_NAME_STRING = 0x8;
    static final int DESIGNATOR_HEADER = 4;
    static final int NAA_LENGTH = 8;
    static final int RELATIVE_PORT_LENGTH = 4;
    static final int TARGET_PORT_GROUP_LENGTH = 4;

    // ---- Block Limits, Block Device Characteristics (SBC-3 VPD pages) ----
    static final int BLOCK_LIMITS_PAGE_LENGTH = 0x3C;
    static final int OPTIMAL_GRANULARITY_OFFSET = 6;
    /** Byte 4 bit 0 of the Block Limits page: WRITE SAME NON-ZERO (SBC-3 6.5.3). */
    static final int WSNZ_OFFSET = 4;
    static final int WSNZ = 0x01;
    static final int MAX_COMPARE_AND_WRITE_LENGTH_OFFSET = 5;
    static final int MAX_TRANSFER_LENGTH_OFFSET = 8;
    static final int MAX_UNMAP_LBA_COUNT_OFFSET = 20;
    static final int MAX_UNMAP_DESCRIPTOR_COUNT_OFFSET = 24;
    static final int OPTIMAL_UNMAP_GRANULARITY_OFFSET = 28;
    /** Bytes 32..35: UGAVALID (bit 31) and UNMAP GRANULARITY ALIGNMENT. */
    static final int UNMAP_GRANULARITY_ALIGNMENT_OFFSET = 32;
    static final long UGAVALID = 0x8000_0000L;
    static final int MAX_WRITE_SAME_LENGTH_OFFSET = 36;
    /** SBC-4 Block Limits VPD page: MAXIMUM ATOMIC TRANSFER LENGTH, ATOMIC ALIGNMENT, ATOMIC TRANSFER LENGTH GRANULARITY. */
    static final int MAX_ATOMIC_TRANSFER_LENGTH_OFFSET = 44;
    static final int ATOMIC_ALIGNMENT_OFFSET = 48;
    static final int ATOMIC_GRANULARITY_OFFSET = 52;
    /** Byte 7 of Block Device Characteristics (SBC-4 Block Device Characteristics VPD page): WABEREQ (bits 7..6), WACEREQ (5..4). */
    static final int SANITIZE_REQUIREMENTS_OFFSET = 7;
    /** WABEREQ 01b: a read after BLOCK ERASE completes with GOOD (and returns zeros here). */
    static final int WABEREQ_READ_GOOD = 0x1 << 6;
    static final int CHARACTERISTICS_PAGE_LENGTH = 0x3C;
    static final int MEDIUM_ROTATION_RATE_OFFSET = 4;
    static final int NON_ROTATING_MEDIUM = 0x0001;

    // ---- Logical Block Provisioning (SBC-3 VPD page) ----
    static final int PROVISIONING_PAGE_LENGTH = 4;
    /** Logical Block Provisioning VPD byte 4: THRESHOLD EXPONENT (SBC-4). */
    static final int THRESHOLD_EXPONENT_OFFSET = 4;
    static final int LBPRZ_OFFSET = 5;
    /** Byte 5: LBPU (UNMAP), LBPWS (WRITE SAME(16) with UNMAP), LBPWS10 (WRITE SAME(10) with UNMAP). */
    static final int LBPU = 0x80;
    static final int LBPWS = 0x40;
    static final int LBPWS10 = 0x20;
    /** LBPRZ field (bits 4..2) = 001b: unmapped blocks read as zeros. */
    static final int LBPRZ_ZEROS = 0x1 << 2;
    static final int PROVISIONING_TYPE_OFFSET = 6;
    static final int PROVISIONING_TYPE_FULL = 0x0;
    static final int PROVISIONING_TYPE_THIN = 0x2;

    private InquiryData() {
    }

    static byte[] ascii(String s, int width) {
        byte[] b = new byte[width];
        byte[] src = s.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < width; i++) {
            b[i] = i < src.length ? src[i] : (byte) ' ';
        }
        return b;
    }

    /** Standard INQUIRY data (SPC-4 6.6.2), for a unit or for a LUN without one. */
    static void standard(CommandContext c, int allocationLength) {
        LogicalUnit u = c.unit;
        c.zeroIn(0, STANDARD_LENGTH);
        c.putIn(0, u == null ? NO_LOGICAL_UNIT : DEVICE_TYPE_DIRECT_ACCESS);
        c.putIn(1, u != null && u.options().removable() ? RMB : 0);
        c.putIn(2, VERSION_SPC4);
        c.putIn(3, HISUP | RESPONSE_DATA_FORMAT);   // NORMACA = 0: ACA is not supported
        c.putIn(4, STANDARD_LENGTH - STANDARD_HEADER);
        c.putIn(5, TargetPortGroups.TPGS_IMPLICIT_AND_EXPLICIT);
        c.putIn(6, TargetPortGroups.portsByGroup(c).length > 1 ? MULTIP : 0);
        c.putIn(7, CMDQUE);
        c.putIn(VENDOR_OFFSET, VENDOR, 0, VENDOR.length);
        c.putIn(PRODUCT_OFFSET, PRODUCT, 0, PRODUCT.length);
        c.putIn(REVISION_OFFSET, REVISION, 0, REVISION.length);
        for (int i = 0; i < VERSION_DESCRIPTORS.length; i++) {
            c.putIn16(VERSION_DESCRIPTORS_OFFSET + 2 * i, VERSION_DESCRIPTORS[i]);
        }
        c.produce(STANDARD_LENGTH, allocationLength);
    }

    private static void vpdHeader(CommandContext c, int page, int pageLength) {
        c.zeroIn(0, VPD_HEADER + pageLength);
        c.putIn(0, DEVICE_TYPE_DIRECT_ACCESS);
        c.putIn(1, page);
        c.putIn16(2, pageLength);
    }

    /** Supported VPD Pages (SPC-4 7.8): the list in ascending order. */
    static void supportedPages(CommandContext c, int allocationLength) {
        vpdHeader(c, PAGE_SUPPORTED_PAGES, SUPPORTED_PAGES.length);
        for (int i = 0; i < SUPPORTED_PAGES.length; i++) {
            c.putIn(VPD_HEADER + i, SUPPORTED_PAGES[i]);
        }
        c.produce(VPD_HEADER + SUPPORTED_PAGES.length, allocationLength);
    }

    /** Unit Serial Number (SPC-4 7.8). */
    static void unitSerialNumber(CommandContext c, int allocationLength) {
        byte[] serial = c.unit.serial();
        vpdHeader(c, PAGE_UNIT_SERIAL_NUMBER, serial.length);
        c.putIn(VPD_HEADER, serial, 0, serial.length);
        c.produce(VPD_HEADER + serial.length, allocationLength);
    }

    /**
     * Device Identification, SPC-4 7.8.6: the logical unit's NAA locally assigned designator
     * (stable and unique per target + LUN), its T10 vendor ID designator (vendor + serial),
     * the relative target port the nexus came in on and that port's target port group (SPC-4
     * 7.8.6.5, 7.8.6.6), and the target device's SCSI name string.
     */
    static void deviceIdentification(CommandContext c, int allocationLength) {
        LogicalUnit u = c.unit;
        byte[] serial = u.serial();
        byte[] name = c.target.nameUtf8();
        int nameLength = scsiNameLength(name.length);
        int t10Length = VENDOR.length + serial.length;
        int pageLength = DESIGNATOR_HEADER + NAA_LENGTH
                + DESIGNATOR_HEADER + t10Length
                + DESIGNATOR_HEADER + RELATIVE_PORT_LENGTH
                + DESIGNATOR_HEADER + TARGET_PORT_GROUP_LENGTH
                + DESIGNATOR_HEADER + nameLength;
        vpdHeader(c, PAGE_DEVICE_IDENTIFICATION, pageLength);
        int p = VPD_HEADER;

        p = designator(c, p, CODE_SET_BINARY, ASSOCIATION_LU | TYPE_NAA, NAA_LENGTH);
        c.putIn64(p, u.naa());
        p += NAA_LENGTH;

        p = designator(c, p, CODE_SET_ASCII, ASSOCIATION_LU | TYPE_T10_VENDOR_ID, t10Length);
        c.putIn(p, VENDOR, 0, VENDOR.length);
        c.putIn(p + VENDOR.length, serial, 0, serial.length);
        p += t10Length;

        p = designator(c, p, CODE_SET_BINARY, ASSOCIATION_TARGET_PORT | TYPE_RELATIVE_TARGET_PORT, RELATIVE_PORT_LENGTH);
        c.putIn16(p + 2, c.nexus.relativePort());   // bytes 0..1 reserved
        p += RELATIVE_PORT_LENGTH;

        p = designator(c, p, CODE_SET_BINARY, ASSOCIATION_TARGET_PORT | TYPE_TARGET_PORT_GROUP, TARGET_PORT_GROUP_LENGTH);
        c.putIn16(p + 2, c.target.accessStates().snapshot().groupOf(c.nexus.relativePort()));   // bytes 0..1 reserved
        p += TARGET_PORT_GROUP_LENGTH;

        p = designator(c, p, CODE_SET_UTF8, ASSOCIATION_TARGET_DEVICE | TYPE_SCSI_NAME_STRING, nameLength);
        c.putIn(p, name, 0, name.length);   // NUL terminator and padding are already zero
        p += nameLength;

        c.produce(p, allocationLength);
    }

    /** A SCSI name string is NUL-terminated and padded to a multiple of 4 (SPC-4 7.8.6). */
    static int scsiNameLength(int utf8Length) {
        return (utf8Length + 1 + 3) & ~3;
    }

    private static int designator(CommandContext c, int p, int codeSet, int associationAndType, int length) {
        c.putIn(p, codeSet);                 // PROTOCOL IDENTIFIER 0, CODE SET
        c.putIn(p + 1, associationAndType);  // PIV 0, ASSOCIATION, DESIGNATOR TYPE
        c.putIn(p + 3, length);
        return p + DESIGNATOR_HEADER;
    }

    /**
     * Block Limits VPD page (SBC-3), every limit one the handlers enforce: MAXIMUM TRANSFER
     * LENGTH is what one command may carry through the data area (the READ/WRITE parsers);
     * MAXIMUM COMPARE AND WRITE LENGTH (COMPARE AND WRITE); for thin units the UNMAP limits
     * (MAXIMUM UNMAP LBA COUNT, MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT) and as OPTIMAL UNMAP
     * GRANULARITY the larger of the store's allocation unit and the physical block (both powers
     * of two, so a multiple of each), aligned at LBA 0. OPTIMAL TRANSFER LENGTH GRANULARITY is
     * the physical block, as READ CAPACITY(16) reports it. An UNMAP of a range that does not
     * cover whole granules is still done in full: the store's deallocate makes every byte of
     * the range read zeros (LBPRZ) and leaves the blocks around it as they were. A fully provisioned unit has no UNMAP,
     * so its UNMAP limits are zero. MAXIMUM WRITE SAME LENGTH bounds WRITE SAME (with or without
     * UNMAP) to one transfer's worth of blocks.
     */
    static void blockLimits(CommandContext c, int allocationLength) {
        LogicalUnit u = c.unit;
        vpdHeader(c, PAGE_BLOCK_LIMITS, BLOCK_LIMITS_PAGE_LENGTH);
        c.putIn(WSNZ_OFFSET, WSNZ);   // WRITE SAME with 0 blocks is refused (SbcCommands)
        c.putIn(MAX_COMPARE_AND_WRITE_LENGTH_OFFSET, u.maxCompareAndWriteBlocks());
        c.putIn16(OPTIMAL_GRANULARITY_OFFSET, u.blocksPerPhysicalBlock());
        c.putIn32(MAX_TRANSFER_LENGTH_OFFSET, u.maxTransferBlocks());
        c.putIn64(MAX_WRITE_SAME_LENGTH_OFFSET, u.maxWriteSameBlocks());
        // WRITE ATOMIC(16) (ReadWriteCdb.decodeAtomic16); atomic boundaries are not supported,
        // so both boundary fields (56..63) stay zero.
        c.putIn32(MAX_ATOMIC_TRANSFER_LENGTH_OFFSET, u.maxAtomicTransferBlocks());
        c.putIn32(ATOMIC_ALIGNMENT_OFFSET, u.atomicAlignment());
        c.putIn32(ATOMIC_GRANULARITY_OFFSET, u.atomicGranularity());
        if (u.options().thin()) {
            c.putIn32(MAX_UNMAP_LBA_COUNT_OFFSET, SbcCommands.MAX_UNMAP_BLOCKS);
            c.putIn32(MAX_UNMAP_DESCRIPTOR_COUNT_OFFSET, SbcCommands.MAX_UNMAP_DESCRIPTORS);
            int granularity = Math.max(u.store().deallocationGranularity() >>> u.blockShift(),
                    u.blocksPerPhysicalBlock());
            if (granularity > 1) {
                c.putIn32(OPTIMAL_UNMAP_GRANULARITY_OFFSET, granularity);
                c.putIn32(UNMAP_GRANULARITY_ALIGNMENT_OFFSET, UGAVALID);   // alignment 0
            }
        }
        c.produce(VPD_HEADER + BLOCK_LIMITS_PAGE_LENGTH, allocationLength);
    }

    /**
     * Block Device Characteristics VPD page (SBC-4 Block Device Characteristics VPD page): a non-rotating medium; WABEREQ 01b
     * because SANITIZE BLOCK ERASE leaves blocks that read as zeros with GOOD status, WACEREQ
     * 00b because CRYPTOGRAPHIC ERASE is not supported (there is no encryption to erase).
     */
    static void blockDeviceCharacteristics(CommandContext c, int allocationLength) {
        vpdHeader(c, PAGE_BLOCK_DEVICE_CHARACTERISTICS, CHARACTERISTICS_PAGE_LENGTH);
        c.putIn16(MEDIUM_ROTATION_RATE_OFFSET, NON_ROTATING_MEDIUM);
        c.putIn(SANITIZE_REQUIREMENTS_OFFSET, WABEREQ_READ_GOOD);
        c.produce(VPD_HEADER + CHARACTERISTICS_PAGE_LENGTH, allocationLength);
    }

    /**
     * Logical Block Provisioning VPD page (SBC-3): a thin unit reports LBPU (UNMAP), LBPWS and
     * LBPWS10 (WRITE SAME with UNMAP), LBPRZ 001b (unmapped blocks read zeros, which every
     * store's {@code deallocate} guarantees) and provisioning type thin; a fully provisioned
     * unit none of them. ANC_SUP and DP are zero (no anchored state, no descriptor page). A thin
     * unit's THRESHOLD EXPONENT is the size of the threshold sets its Logical Block Provisioning
     * log page counts in ({@link LogPages#thresholdExponent}).
     * A thin unit over a store that cannot give space back ({@code freesSpace()} false: it
     * writes zeros) keeps the UNMAP bits (the command works, and the blocks read zeros) but
     * reports provisioning type 000b, fully provisioned: no block is ever deallocated, which
     * is SBC-4's fully provisioned unit (4.7.2), not a thin one.
     */
    static void logicalBlockProvisioning(CommandContext c, int allocationLength) {
        boolean thin = c.unit.options().thin();
        vpdHeader(c, PAGE_LOGICAL_BLOCK_PROVISIONING, PROVISIONING_PAGE_LENGTH);
        // the unit in which the Logical Block Provisioning log page counts resources
        c.putIn(THRESHOLD_EXPONENT_OFFSET, thin ? LogPages.thresholdExponent(c.unit) : 0);
        c.putIn(LBPRZ_OFFSET, thin ? LBPU | LBPWS | LBPWS10 | LBPRZ_ZEROS : 0);
        c.putIn(PROVISIONING_TYPE_OFFSET, thin && c.unit.store().freesSpace() ? PROVISIONING_TYPE_THIN
                : PROVISIONING_TYPE_FULL);
        c.produce(VPD_HEADER + PROVISIONING_PAGE_LENGTH, allocationLength);
    }
}
