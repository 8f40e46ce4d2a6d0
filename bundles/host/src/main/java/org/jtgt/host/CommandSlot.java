package org.jtgt.host;

import java.nio.ByteBuffer;

import org.jtgt.api.event.CmdReqEvent;
import org.jtgt.api.event.CmdRspEvent;
import org.jtgt.api.event.DataDirection;
import org.jtgt.api.event.TaskAttribute;
import org.jtgt.api.host.HostCommand;
import org.jtgt.api.transport.DataArea;

/**
 * One pooled command of a {@link HostQueue}: the request the LLD fills in, where its data lives,
 * which transport binding it is in flight on, and the daemon's answer. Reused after
 * {@link HostQueue#done}; its {@link #cid} changes generation each time so a stale id from the
 * peer is recognised.
 */
final class CommandSlot implements HostCommand {
    enum State { FREE, ALLOCATED, QUEUED, SENT, COMPLETED }

    final HostQueue host;
    final int index;
    volatile State state = State.FREE;
    long cid;
    long nexusId;

    long lun;
    final byte[] cdb = new byte[CmdReqEvent.MAX_CDB_LENGTH];
    int cdbLength;
    int tag;
    DataDirection direction = DataDirection.NONE;
    int expectedLength;
    TaskAttribute attribute = TaskAttribute.SIMPLE;

    /** The area holding the data buffer: a transport's data area or the host staging area. */
    DataArea area;
    long dataOffset;
    int capacity;
    /** The session this command is counted against while it holds a slot (HostQueue's slot lock). */
    SessionShare share;
    /** The data this command is counted for, in whole accounting blocks. */
    long heldUnits;
    /** Extended CDB reservation in the binding's area, or -1. */
    long extCdbOffset = -1;

    /** The binding this command was sent on while {@link State#SENT} or COMPLETED. */
    TransportBinding binding;

    int status;
    int residual;
    int dataInLength;
    int senseLength;
    /** The daemon ended the command as aborted: no response goes to the initiator. */
    boolean aborted;
    final byte[] sense = new byte[CmdRspEvent.MAX_SENSE_LENGTH];

    private Object context;

    CommandSlot(HostQueue host, int index) {
        this.host = host;
        this.index = index;
    }

    void reset() {
        lun = 0;
        cdbLength = 0;
        tag = 0;
        direction = DataDirection.NONE;
        expectedLength = 0;
        attribute = TaskAttribute.SIMPLE;
        binding = null;
        status = 0;
        aborted = false;
        residual = 0;
        dataInLength = 0;
        senseLength = 0;
        context = null;
        extCdbOffset = -1;
    }

    @Override public long cid() { return cid; }
    @Override public long nexusId() { return nexusId; }

    @Override
    public HostCommand setLun(long lun) {
        this.lun = lun;
        return this;
    }

    @Override
    public HostCommand setCdb(byte[] src, int offset, int length) {
        if (length < 6 || length > CmdReqEvent.MAX_CDB_LENGTH) {
            throw new IllegalArgumentException("CDB length " + length + " outside 6.." + CmdReqEvent.MAX_CDB_LENGTH);
        }
        System.arraycopy(src, offset, cdb, 0, length);
        cdbLength = length;
        return this;
    }

    @Override
    public HostCommand setTag(int initiatorTaskTag) {
        this.tag = initiatorTaskTag;
        return this;
    }

    @Override
    public HostCommand setDirection(DataDirection direction) {
        this.direction = direction;
        return this;
    }

    @Override
    public HostCommand setExpectedLength(int expectedDataTransferLength) {
        this.expectedLength = expectedDataTransferLength;
        return this;
    }

    @Override
    public HostCommand setTaskAttribute(TaskAttribute attribute) {
        this.attribute = attribute;
        return this;
    }

    @Override public long lun() { return lun; }
    @Override public int tag() { return tag; }
    @Override public DataDirection direction() { return direction; }
    @Override public int expectedLength() { return expectedLength; }
    @Override public int dataCapacity() { return capacity; }
    @Override public ByteBuffer dataBuffer() { return area.buffer(); }
    @Override public int dataPosition() { return (int) dataOffset; }

    @Override
    public void putData(int offset, ByteBuffer src) {
        int n = src.remaining();
        checkRange(offset, n);
        area.buffer().put((int) dataOffset + offset, src, src.position(), n);
        src.position(src.position() + n);
    }

    @Override
    public void getData(int offset, ByteBuffer dst) {
        int n = dst.remaining();
        checkRange(offset, n);
        dst.put(dst.position(), area.buffer(), (int) dataOffset + offset, n);
        dst.position(dst.position() + n);
    }

    private void checkRange(int offset, int n) {
        if (offset < 0 || n > capacity - offset) {
            throw new IndexOutOfBoundsException("data " + offset + "+" + n + " outside the command's " + capacity + " bytes");
        }
    }

    @Override public int status() { return status; }
    @Override public int residual() { return residual; }
    @Override public int dataInLength() { return dataInLength; }
    @Override public int senseLength() { return senseLength; }
    @Override public boolean aborted() { return aborted; }

    @Override
    public int sense(byte[] dst) {
        int n = Math.min(senseLength, dst.length);
        System.arraycopy(sense, 0, dst, 0, n);
        return n;
    }

    @Override public void setContext(Object context) { this.context = context; }
    @Override public Object context() { return context; }

    @Override
    public String toString() {
        return "cmd[host " + host.hostNo() + " cid 0x" + Long.toHexString(cid) + " tag " + tag + " " + state + "]";
    }
}
