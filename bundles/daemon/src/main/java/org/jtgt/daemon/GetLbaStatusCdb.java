package org.jtgt.daemon;

/**
 * Decoder of GET LBA STATUS, SBC-3 5.6 (SERVICE ACTION IN(16), 12h): STARTING LOGICAL BLOCK
 * ADDRESS and ALLOCATION LENGTH. The starting LBA must name a block of the medium, so it is
 * checked as a range of one block: past the last LBA is LOGICAL BLOCK ADDRESS OUT OF RANGE.
 */
final class GetLbaStatusCdb {
    static final int ALLOCATION_LENGTH_OFFSET = 10;

    private GetLbaStatusCdb() {
    }

    static SenseReason decode(CommandContext c) {
        c.lba = Cdb.u64(c.cdb, BlockCdb.LBA_OFFSET);
        c.blocks = 1;
        c.allocationLength = Cdb.u32(c.cdb, ALLOCATION_LENGTH_OFFSET);
        return BlockCdb.checkRange(c);
    }
}
