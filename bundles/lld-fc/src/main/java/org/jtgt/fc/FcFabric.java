package org.jtgt.fc;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.jtgt.fc.wire.CtIu;
import org.jtgt.fc.wire.FcFrameHeader;
import org.jtgt.fc.wire.FcipFraming;

/**
 * The emulated switch: the fabric login server (FLOGI/FDISC hand out N_Port IDs in domain
 * {@value #DOMAIN}) and a minimal directory name server (FC-GS-7 5.2): RFT_ID registers a port's
 * FC-4 types, GID_FT lists the ports of one type (the CT_IU layouts are in {@link CtIu}).
 * Thread-safe; every method is short.
 */
public final class FcFabric {
    public static final int DOMAIN = 0x01;
    /** The N_Port ID of the emulated target port. */
    public static final int TARGET_PORT_ID = DOMAIN << 16 | 0x0001;

    /** {@link #login} result: the fabric has no N_Port ID left. */
    public static final int FULL = -1;
    /** {@link #login} result: the port name is logged in over another link. */
    public static final int DUPLICATE_PORT_NAME = -2;

    /** A logged-in N_Port; {@code link} is whoever logged it in (null for the target's own port). */
    private record Entry(long portName, long nodeName, int[] types, Object link) {
    }

    private final Object lock = new Object();
    private final Map<Integer, Entry> ports = new HashMap<>();
    private final int maxPorts;
    private int nextArea = 1;

    public FcFabric(int maxPorts, long targetPortName, long targetNodeName) {
        this.maxPorts = maxPorts;
        int[] types = new int[CtIu.FT_BITMAP_LENGTH / 4];
        types[FcFrameHeader.TYPE_FCP / 32] |= 1 << FcFrameHeader.TYPE_FCP % 32;
        ports.put(TARGET_PORT_ID, new Entry(targetPortName, targetNodeName, types, null));
    }

    /**
     * Fabric login over {@code link}: a port that logs in again over the same link keeps its ID.
     * A port name logged in over another link is refused, as a switch refuses a duplicate WWPN
     * (first login takes precedence): handing out the same ID twice let one link's logout free an
     * ID the other still used.
     *
     * @return the N_Port ID, {@link #FULL} or {@link #DUPLICATE_PORT_NAME}
     */
    public int login(long portName, long nodeName, Object link) {
        synchronized (lock) {
            for (Map.Entry<Integer, Entry> e : ports.entrySet()) {
                if (e.getKey() != TARGET_PORT_ID && e.getValue().portName() == portName) {
                    return e.getValue().link() == link ? e.getKey() : DUPLICATE_PORT_NAME;
                }
            }
            if (ports.size() > maxPorts) {
                return FULL;
            }
            for (int i = 0; i < 255; i++) {
                int id = DOMAIN << 16 | nextArea << 8;
                nextArea = nextArea == 255 ? 1 : nextArea + 1;
                if (!ports.containsKey(id)) {
                    ports.put(id, new Entry(portName, nodeName, new int[CtIu.FT_BITMAP_LENGTH / 4], link));
                    return id;
                }
            }
            return FULL;
        }
    }

    /** Ends the fabric login of {@code portId} if {@code link} holds it; another link's login stays. */
    public void logout(int portId, Object link) {
        if (portId == TARGET_PORT_ID) {
            return;
        }
        synchronized (lock) {
            Entry e = ports.get(portId);
            if (e != null && e.link() == link) {
                ports.remove(portId);
            }
        }
    }

    public boolean loggedIn(int portId) {
        synchronized (lock) {
            return ports.containsKey(portId);
        }
    }

    /** Number of N_Ports logged in, the target's included. */
    public int portCount() {
        synchronized (lock) {
            return ports.size();
        }
    }

    /** The port IDs that registered FC-4 type {@code type}, ascending. */
    public List<Integer> portsOfType(int type) {
        List<Integer> result = new ArrayList<>();
        synchronized (lock) {
            for (Map.Entry<Integer, Entry> e : ports.entrySet()) {
                if ((e.getValue().types()[type / 32] & 1 << type % 32) != 0) {
                    result.add(e.getKey());
                }
            }
        }
        result.sort(null);
        return result;
    }

    /**
     * Answers one name server request (a CT_IU from {@code source}).
     *
     * @return the CT_IU response payload
     */
    public byte[] nameServer(int source, FcipFraming.Frame f) {
        int length = f.payloadLength();
        if (length < CtIu.PREAMBLE_LENGTH || f.payloadByte(CtIu.REVISION_OFFSET) != CtIu.REVISION
                || f.payloadByte(CtIu.GS_TYPE_OFFSET) != CtIu.GS_TYPE_DIRECTORY
                || f.payloadByte(CtIu.GS_SUBTYPE_OFFSET) != CtIu.GS_SUBTYPE_NAME_SERVER) {
            return CtIu.reject(CtIu.FS_RJT_INVALID_COMMAND, CtIu.FS_EXPL_NONE);
        }
        int command = f.payloadByte(CtIu.COMMAND_OFFSET) << 8 | f.payloadByte(CtIu.COMMAND_OFFSET + 1);
        switch (command) {
            case CtIu.GID_FT: {
                if (length < CtIu.PREAMBLE_LENGTH + 4) {
                    return CtIu.reject(CtIu.FS_RJT_UNABLE, CtIu.FS_EXPL_NONE);
                }
                List<Integer> found = portsOfType(f.payloadByte(CtIu.PREAMBLE_LENGTH + 3));
                if (found.isEmpty()) {
                    return CtIu.reject(CtIu.FS_RJT_UNABLE, CtIu.FS_EXPL_TYPES_NOT_REGISTERED);
                }
                ByteBuffer b = CtIu.preamble(CtIu.FS_ACC, found.size() * 4);
                for (int i = 0; i < found.size(); i++) {
                    b.putInt(CtIu.PREAMBLE_LENGTH + i * 4,
                            found.get(i) | (i == found.size() - 1 ? CtIu.LAST_PORT : 0));
                }
                return b.array();
            }
            case CtIu.RFT_ID: {
                if (length < CtIu.PREAMBLE_LENGTH + 4 + CtIu.FT_BITMAP_LENGTH) {
                    return CtIu.reject(CtIu.FS_RJT_UNABLE, CtIu.FS_EXPL_NONE);
                }
                int port = f.payloadInt(CtIu.PREAMBLE_LENGTH) & 0xFFFFFF;
                if (port != source) {
                    // A port registers for itself only.
                    return CtIu.reject(CtIu.FS_RJT_UNABLE, CtIu.FS_EXPL_NONE);
                }
                synchronized (lock) {
                    Entry e = ports.get(port);
                    if (e == null) {
                        return CtIu.reject(CtIu.FS_RJT_UNABLE, CtIu.FS_EXPL_NONE);
                    }
                    for (int w = 0; w < CtIu.FT_BITMAP_LENGTH / 4; w++) {
                        e.types()[w] = f.payloadInt(CtIu.PREAMBLE_LENGTH + 4 + w * 4);
                    }
                }
                return CtIu.preamble(CtIu.FS_ACC, 0).array();
            }
            default:
                return CtIu.reject(CtIu.FS_RJT_NOT_SUPPORTED, CtIu.FS_EXPL_NONE);
        }
    }
}
