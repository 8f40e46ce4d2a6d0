package org.jtgt.daemon;

/** Operation codes and service actions this daemon implements (SPC-4 Annex E; SBC-3 clause 5). */
final class Opcodes {
    static final int TEST_UNIT_READY = 0x00;
    static final int REQUEST_SENSE = 0x03;
    static final int READ_6 = 0x08;
    static final int WRITE_6 = 0x0A;
    static final int INQUIRY = 0x12;
    static final int RESERVE_6 = 0x16;
    static final int RELEASE_6 = 0x17;
    static final int MODE_SENSE_6 = 0x1A;
    static final int START_STOP_UNIT = 0x1B;
    static final int PREVENT_ALLOW_MEDIUM_REMOVAL = 0x1E;
    static final int READ_CAPACITY_10 = 0x25;
    static final int READ_10 = 0x28;
    static final int WRITE_10 = 0x2A;
    static final int WRITE_AND_VERIFY_10 = 0x2E;
    static final int VERIFY_10 = 0x2F;
    static final int PRE_FETCH_10 = 0x34;
    static final int SYNCHRONIZE_CACHE_10 = 0x35;
    static final int WRITE_SAME_10 = 0x41;
    static final int UNMAP = 0x42;
    static final int LOG_SENSE = 0x4D;
    static final int RESERVE_10 = 0x56;
    static final int RELEASE_10 = 0x57;
    static final int MODE_SENSE_10 = 0x5A;
    static final int PERSISTENT_RESERVE_IN = 0x5E;
    static final int PERSISTENT_RESERVE_OUT = 0x5F;
    static final int READ_16 = 0x88;
    static final int WRITE_16 = 0x8A;
    static final int COMPARE_AND_WRITE = 0x89;
    static final int ORWRITE_16 = 0x8B;
    static final int WRITE_AND_VERIFY_16 = 0x8E;
    static final int VERIFY_16 = 0x8F;
    static final int PRE_FETCH_16 = 0x90;
    static final int WRITE_SAME_16 = 0x93;
    static final int SYNCHRONIZE_CACHE_16 = 0x91;
    static final int SERVICE_ACTION_IN_16 = 0x9E;
    static final int REPORT_LUNS = 0xA0;
    static final int MAINTENANCE_IN = 0xA3;
    static final int READ_12 = 0xA8;
    static final int WRITE_12 = 0xAA;
    static final int WRITE_AND_VERIFY_12 = 0xAE;
    static final int VERIFY_12 = 0xAF;
    static final int READ_DEFECT_DATA_10 = 0x37;
    static final int SANITIZE = 0x48;
    static final int THIRD_PARTY_COPY_OUT = 0x83;
    static final int THIRD_PARTY_COPY_IN = 0x84;
    static final int WRITE_ATOMIC_16 = 0x9C;
    static final int READ_DEFECT_DATA_12 = 0xB7;
    static final int MODE_SELECT_6 = 0x15;
    static final int MODE_SELECT_10 = 0x55;

    /** SERVICE ACTION IN(16) service action READ CAPACITY(16) (SBC-3 5.17). */
    static final int SA_READ_CAPACITY_16 = 0x10;
    /** SERVICE ACTION IN(16) service action GET LBA STATUS (SBC-3 5.6). */
    static final int SA_GET_LBA_STATUS = 0x12;
    /** MAINTENANCE IN service action REPORT SUPPORTED OPERATION CODES (SPC-4 6.35). */
    static final int SA_REPORT_SUPPORTED_OPERATION_CODES = 0x0C;
    /** PERSISTENT RESERVE IN service actions (SPC-4 6.15.1). */
    static final int SA_READ_KEYS = 0x00;
    static final int SA_READ_RESERVATION = 0x01;
    static final int SA_REPORT_CAPABILITIES = 0x02;
    static final int SA_READ_FULL_STATUS = 0x03;
    /** PERSISTENT RESERVE OUT service actions (SPC-4 6.16.2). */
    static final int SA_REGISTER = 0x00;
    static final int SA_RESERVE = 0x01;
    static final int SA_RELEASE = 0x02;
    static final int SA_CLEAR = 0x03;
    static final int SA_PREEMPT = 0x04;
    static final int SA_PREEMPT_AND_ABORT = 0x05;
    static final int SA_REGISTER_AND_IGNORE_EXISTING_KEY = 0x06;
    static final int SA_REGISTER_AND_MOVE = 0x07;
    /** MAINTENANCE IN service action REPORT TARGET PORT GROUPS (SPC-4 6.37). */
    static final int SA_REPORT_TARGET_PORT_GROUPS = 0x0A;
    /** MAINTENANCE OUT and its service action SET TARGET PORT GROUPS (SPC-4 6.45, {@link TargetPortGroups}). */
    static final int MAINTENANCE_OUT = 0xA4;
    static final int SA_SET_TARGET_PORT_GROUPS = 0x0A;
    /** THIRD-PARTY COPY OUT service action EXTENDED COPY (LID1) (SPC-4). */
    static final int SA_EXTENDED_COPY_LID1 = 0x00;
    /** THIRD-PARTY COPY OUT: POPULATE TOKEN and WRITE USING TOKEN (SBC-4). */
    static final int SA_POPULATE_TOKEN = 0x10;
    static final int SA_WRITE_USING_TOKEN = 0x11;
    /** THIRD-PARTY COPY IN service actions of RECEIVE COPY RESULTS (SPC-4). */
    static final int SA_COPY_STATUS = 0x00;
    static final int SA_RECEIVE_DATA = 0x01;
    static final int SA_OPERATING_PARAMETERS = 0x03;
    static final int SA_FAILED_SEGMENT_DETAILS = 0x04;
    /** THIRD-PARTY COPY IN: RECEIVE ROD TOKEN INFORMATION (SPC-4). */
    static final int SA_RECEIVE_ROD_TOKEN_INFORMATION = 0x07;
    /** SANITIZE service actions (SBC-4). */
    static final int SA_SANITIZE_OVERWRITE = 0x01;
    static final int SA_SANITIZE_BLOCK_ERASE = 0x02;
    static final int SA_SANITIZE_EXIT_FAILURE_MODE = 0x1F;
    /** The service action field: bits 4..0 of CDB byte 1. */
    static final int SERVICE_ACTION_MASK = 0x1F;
    /** The service action field's most significant bit, for the sense bit pointer. */
    static final int SERVICE_ACTION_MSB = 4;

    private Opcodes() {
    }
}
