package org.jtgt.fc.wire;

import java.nio.ByteBuffer;

import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.event.TaskManagementFunction;

/**
 * FCP-4 information units (big-endian) and basic link service payloads.
 *
 * <pre>
 * FCP_CMND (32 + 4 * additional CDB words, FCP-4 9.2):
 *    0  FCP_LUN (8)
 *    8  command reference number
 *    9  task attribute (bits 2..0: 0 SIMPLE, 1 HEAD OF QUEUE, 2 ORDERED, 4 ACA)
 *   10  task management flags (0x02 ABORT TASK SET, 0x04 CLEAR TASK SET,
 *       0x10 LOGICAL UNIT RESET, 0x20 TARGET RESET, 0x40 CLEAR ACA)
 *   11  additional FCP_CDB length in words (bits 7..2), RDDATA 0x02, WRDATA 0x01
 *   12  FCP_CDB (16 + 4 * additional)
 *   28+ FCP_DL (4): bytes the initiator expects to move
 *
 * FCP_XFER_RDY (12, FCP-4 9.3): 0 data relative offset, 4 burst length, 8 reserved
 *
 * FCP_RSP (24 + response info + sense, FCP-4 9.5):
 *    0  reserved (8), 8-9 retry delay timer
 *   10  flags: 0x08 FCP_RESID_UNDER, 0x04 FCP_RESID_OVER, 0x02 FCP_SNS_LEN_VALID,
 *       0x01 FCP_RSP_LEN_VALID
 *   11  SCSI status
 *   12  FCP_RESID, 16 FCP_SNS_LEN, 20 FCP_RSP_LEN (0, 4 or 8)
 *   24  FCP_RSP_INFO (byte 3: RSP_CODE), then FCP_SNS_INFO
 *
 * BA_ACC (12, FC-FS-3 15.3.2.2): 0 SEQ_ID validity (0x80), 1 SEQ_ID, 4 OX_ID, 6 RX_ID,
 *    8 low SEQ_CNT, 10 high SEQ_CNT
 * BA_RJT (4): 1 reason code, 2 reason explanation, 3 vendor unique
 * </pre>
 */
public final class Fcp {
    public static final int CMND_LENGTH = 32;
    public static final int LUN_OFFSET = 0;
    public static final int ATTRIBUTE_OFFSET = 9;
    public static final int TMF_OFFSET = 10;
    public static final int ADDITIONAL_OFFSET = 11;
    public static final int CDB_OFFSET = 12;
    public static final int RDDATA = 0x02;
    public static final int WRDATA = 0x01;

    public static final int TMF_ABORT_TASK_SET = 0x02;
    public static final int TMF_CLEAR_TASK_SET = 0x04;
    public static final int TMF_LUN_RESET = 0x10;
    public static final int TMF_TARGET_RESET = 0x20;
    public static final int TMF_CLEAR_ACA = 0x40;

    public static final int XFER_RDY_LENGTH = 12;

    public static final int RSP_LENGTH = 24;
    public static final int RSP_FLAGS_OFFSET = 10;
    public static final int RSP_STATUS_OFFSET = 11;
    public static final int RSP_RESID_OFFSET = 12;
    public static final int RSP_SNS_LEN_OFFSET = 16;
    public static final int RSP_RSP_LEN_OFFSET = 20;
    public static final int RESID_UNDER = 0x08;
    public static final int RESID_OVER = 0x04;
    public static final int SNS_LEN_VALID = 0x02;
    public static final int RSP_LEN_VALID = 0x01;
    public static final int RSP_INFO_LENGTH = 8;

    // FCP_RSP_INFO RSP_CODE (FCP-4 table 26)
    public static final int RSP_TMF_COMPLETE = 0x00;
    public static final int RSP_DATA_LENGTH_MISMATCH = 0x01;
    public static final int RSP_CMND_FIELDS_INVALID = 0x02;
    public static final int RSP_TMF_NOT_SUPPORTED = 0x04;
    public static final int RSP_TMF_FAILED = 0x05;
    public static final int RSP_TMF_SUCCEEDED = 0x08;
    public static final int RSP_TMF_INCORRECT_LUN = 0x09;

    public static final int BA_ACC_LENGTH = 12;
    public static final int BA_RJT_LENGTH = 4;
    public static final int BA_RJT_INVALID_COMMAND = 0x01;
    public static final int BA_RJT_LOGICAL_ERROR = 0x03;
    public static final int BA_RJT_EXPL_NONE = 0x00;
    public static final int BA_RJT_EXPL_INVALID_OX_RX = 0x03;

    private Fcp() {
    }

    /** FCP-4 task attribute code → SAM task attribute, or null if reserved. */
    public static TaskAttribute attribute(int code) {
        switch (code & 0x07) {
            case 0: return TaskAttribute.SIMPLE;
            case 1: return TaskAttribute.HEAD_OF_QUEUE;
            case 2: return TaskAttribute.ORDERED;
            case 4: return TaskAttribute.ACA;
            default: return null;
        }
    }

    public static int attributeCode(TaskAttribute a) {
        switch (a) {
            case HEAD_OF_QUEUE: return 1;
            case ORDERED: return 2;
            case ACA: return 4;
            default: return 0;
        }
    }

    /** The one task-management flag set → function; null if none, several or an obsolete bit is set. */
    public static TaskManagementFunction function(int flags) {
        switch (flags) {
            case TMF_ABORT_TASK_SET: return TaskManagementFunction.ABORT_TASK_SET;
            case TMF_CLEAR_TASK_SET: return TaskManagementFunction.CLEAR_TASK_SET;
            case TMF_LUN_RESET: return TaskManagementFunction.LOGICAL_UNIT_RESET;
            case TMF_TARGET_RESET: return TaskManagementFunction.TARGET_WARM_RESET;
            case TMF_CLEAR_ACA: return TaskManagementFunction.CLEAR_ACA;
            default: return null;
        }
    }

    /** Builds an FCP_CMND payload. */
    public static byte[] command(long lun, TaskAttribute attribute, int tmfFlags, byte[] cdb, boolean read,
            boolean write, int dataLength) {
        int cdbLen = cdb == null ? 16 : Math.max(16, cdb.length + 3 & ~3);
        int additional = (cdbLen - 16) / 4;
        ByteBuffer b = ByteBuffer.allocate(CMND_LENGTH + additional * 4);
        b.putLong(LUN_OFFSET, lun);
        b.put(ATTRIBUTE_OFFSET, (byte) attributeCode(attribute));
        b.put(TMF_OFFSET, (byte) tmfFlags);
        b.put(ADDITIONAL_OFFSET, (byte) (additional << 2 | (read ? RDDATA : 0) | (write ? WRDATA : 0)));
        if (cdb != null) {
            b.put(CDB_OFFSET, cdb);
        }
        b.putInt(CDB_OFFSET + cdbLen, dataLength);
        return b.array();
    }

    /** Builds an FCP_XFER_RDY into {@code b} at 0 and returns its length. */
    public static int xferRdy(ByteBuffer b, int offset, int burst) {
        b.putInt(0, offset);
        b.putInt(4, burst);
        b.putInt(8, 0);
        return XFER_RDY_LENGTH;
    }

    /**
     * Builds an FCP_RSP into {@code b} at 0.
     *
     * @param residual positive for an underrun, negative for an overrun
     * @param rspCode an RSP_CODE for FCP_RSP_INFO, or -1 for none
     * @return its length
     */
    public static int response(ByteBuffer b, int status, int residual, byte[] sense, int senseLength, int rspCode) {
        int rspLen = rspCode >= 0 ? RSP_INFO_LENGTH : 0;
        int total = RSP_LENGTH + rspLen + senseLength;
        for (int i = 0; i < total; i++) {
            b.put(i, (byte) 0);
        }
        int flags = (residual > 0 ? RESID_UNDER : residual < 0 ? RESID_OVER : 0) | (senseLength > 0 ? SNS_LEN_VALID : 0)
                | (rspLen > 0 ? RSP_LEN_VALID : 0);
        b.put(RSP_FLAGS_OFFSET, (byte) flags);
        b.put(RSP_STATUS_OFFSET, (byte) status);
        b.putInt(RSP_RESID_OFFSET, Math.abs(residual));
        b.putInt(RSP_SNS_LEN_OFFSET, senseLength);
        b.putInt(RSP_RSP_LEN_OFFSET, rspLen);
        if (rspLen > 0) {
            b.put(RSP_LENGTH + 3, (byte) rspCode);
        }
        if (senseLength > 0) {
            b.put(RSP_LENGTH + rspLen, sense, 0, senseLength);
        }
        return total;
    }

    public static byte[] baAcc(int oxId, int rxId) {
        ByteBuffer b = ByteBuffer.allocate(BA_ACC_LENGTH);
        b.putShort(4, (short) oxId);
        b.putShort(6, (short) rxId);
        b.putShort(8, (short) 0);
        b.putShort(10, (short) 0xFFFF);
        return b.array();
    }

    public static byte[] baRjt(int reason, int explanation) {
        byte[] p = new byte[BA_RJT_LENGTH];
        p[1] = (byte) reason;
        p[2] = (byte) explanation;
        return p;
    }
}
