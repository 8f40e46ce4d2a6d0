package org.jtgt.transport.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.jtgt.api.event.CmdDoneEvent;
import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.ItNexusReqEvent;
import org.jtgt.api.event.ItNexusRspEvent;
import org.jtgt.api.event.TaskManagementFunction;
import org.jtgt.api.event.TmfResponse;
import org.jtgt.api.event.TskMgmtReqEvent;
import org.jtgt.api.event.TskMgmtRspEvent;

/** Event records and raw frames for the tests, built with the api's codecs. */
final class Events {
    static final byte[] TEST_UNIT_READY = {0, 0, 0, 0, 0, 0};

    private Events() {
    }

    static ByteBuffer cmdReq(int hostNo, long cid, DataDirection direction, long dataOffset, int dataLength,
                             byte[] cdb, long extCdbOffset) {
        ByteBuffer b = ByteBuffer.allocateDirect(CmdReqEvent.LENGTH);
        CmdReqEvent.write(b, 0, hostNo, cid, 7, 0, cdb, cdb.length, (int) cid, dataLength, dataOffset, dataLength,
                direction.code(), 0, extCdbOffset);
        return b;
    }

    static ByteBuffer testUnitReady(int hostNo, long cid) {
        return cmdReq(hostNo, cid, DataDirection.NONE, 0, 0, TEST_UNIT_READY, 0);
    }

    static ByteBuffer cmdRsp(int hostNo, long cid, long dataOffset, int dataLength) {
        ByteBuffer b = ByteBuffer.allocateDirect(CmdRspEvent.LENGTH);
        CmdRspEvent.write(b, 0, hostNo, cid, dataOffset, dataLength, 0, 0);
        CmdRspEvent.putSense(b, 0, new byte[] {0x70, 0, 5}, 3);
        return b;
    }

    static ByteBuffer cmdDone(int hostNo, long cid) {
        ByteBuffer b = ByteBuffer.allocateDirect(CmdDoneEvent.LENGTH);
        CmdDoneEvent.write(b, 0, hostNo, cid, CmdDoneEvent.DELIVERED);
        return b;
    }

    static ByteBuffer tmfReq(int hostNo, long mid) {
        ByteBuffer b = ByteBuffer.allocateDirect(TskMgmtReqEvent.LENGTH);
        TskMgmtReqEvent.write(b, 0, hostNo, mid, 7, 0, 42, TaskManagementFunction.ABORT_TASK);
        return b;
    }

    static ByteBuffer tmfRsp(int hostNo, long mid) {
        ByteBuffer b = ByteBuffer.allocateDirect(TskMgmtRspEvent.LENGTH);
        TskMgmtRspEvent.write(b, 0, hostNo, mid, TmfResponse.FUNCTION_COMPLETE);
        return b;
    }

    static ByteBuffer nexusReq(int hostNo, long nexus, int op, long namesOffset, int namesLength) {
        ByteBuffer b = ByteBuffer.allocateDirect(ItNexusReqEvent.LENGTH);
        ItNexusReqEvent.write(b, 0, hostNo, nexus, op, 1, namesOffset, namesLength);
        return b;
    }

    static ByteBuffer nexusRsp(int hostNo, long nexus, int op) {
        ByteBuffer b = ByteBuffer.allocateDirect(ItNexusRspEvent.LENGTH);
        ItNexusRspEvent.write(b, 0, hostNo, nexus, ItNexusRspEvent.RESULT_OK, op);
        return b;
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.capacity()];
        b.get(0, a);
        return a;
    }

    static byte[] pattern(int seed, int length) {
        byte[] p = new byte[length];
        for (int i = 0; i < length; i++) {
            p[i] = (byte) (seed * 31 + i * 7 + (i >>> 8));
        }
        return p;
    }

    /** A frame: header, then the given payload parts, with the header's length covering them. */
    static ByteBuffer frame(int type, int flags, int sequence, int portId, byte[]... parts) {
        int length = NetlinkFrame.HEADER_LENGTH;
        for (byte[] p : parts) {
            length += p.length;
        }
        return frameWithLength(length, type, flags, sequence, portId, parts);
    }

    /** A frame whose length field says {@code length}, whatever follows. */
    static ByteBuffer frameWithLength(long length, int type, int flags, int sequence, int portId, byte[]... parts) {
        int size = NetlinkFrame.HEADER_LENGTH;
        for (byte[] p : parts) {
            size += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        NetlinkFrame.writeHeader(b, 0, length, type, flags, sequence, portId);
        b.position(NetlinkFrame.HEADER_LENGTH);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.flip();
    }

    static ByteBuffer ack(int sequence, int error, int portId) {
        ByteBuffer b = ByteBuffer.allocate(NetlinkFrame.ACK_LENGTH);
        NetlinkFrame.writeAck(b, 0, sequence, error, portId);
        return b;
    }

    static ByteBuffer register(int portId, long areaSize) {
        ByteBuffer b = ByteBuffer.allocate(NetlinkFrame.REGISTER_LENGTH);
        NetlinkFrame.writeRegister(b, 0, portId, areaSize);
        return b;
    }
}
