package org.jtgt.fc;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The emulated switch: the fabric login server (FLOGI/FDISC hand out N_Port IDs in domain
 * {@value #DOMAIN}) and a minimal directory name server (FC-GS-7 5.2): RFT_ID registers a port's
 * FC-4 types, GID_FT lists the ports of one type. Thread-safe; every method is short.
 *
 * <pre>
 * CT_IU preamble (16 bytes, FC-GS-7 4.3.2), then the command's payload:
 *    0 revision 01, 1-3 IN_ID
 *    4 GS_TYPE (FC directory service), 5 GS_SUBTYPE (02 name server), 6 options, 7 reserved
 *    8 command / response code (8002 FS_ACC, 8001 FS_RJT), 10 max / residual size (words)
 *   12 reserved, 13 reason code, 14 reason explanation, 15 vendor specific
 * GID_FT request: 16 reserved, domain scope, area scope, FC-4 type
 *        FS_ACC: one word per port: control (0x80 on the last), port ID (3)
 * RFT_ID request: 16 reserved + port ID (3), 20 FC-4 types bitmap (32 bytes: type T is bit T%32
 *        of big-endian word T/32)
 * </pre>
 */
public final class FcFabric {
    public static final int DOMAIN = 0x01;
    /** The N_Port ID of the emulated target port. */
    public static final int TARGET_PORT_ID = DOMAIN << 16 | 0x0001;

    public static final int CT_PREAMBLE_LENGTH = 16;
    public static final int CT_REVISION = 0x01;
    public static final int GS_TYPE_DIRECTORY = 0xFC;
    public static final int GS_SUBTYPE_NAME_SERVER = 0x02;
    public static final int CT_COMMAND_OFFSET = 8;
    public static final int CT_FS_RJT = 0x8001;
    public static final int CT_FS_ACC = 0x8002;
    public static final int GID_FT = 0x0171;
    public static final int RFT_ID = 0x0217;
    public static final int FS_RJT_UNABLE = 0x09;
    public static final int FS_RJT_NOT_SUPPORTED = 0x0B;
    public static final int FS_RJT_INVALID_COMMAND = 0x01;
    public static final int FS_EXPL_NONE = 0x00;
    public static final int FS_EXPL_TYPES_NOT_REGISTERED = 0x07;
    public static final int FT_BITMAP_LENGTH = 32;

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
        int[] types = new int[FT_BITMAP_LENGTH / 4];
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
                    ports.put(id, new Entry(portName, nodeName, new int[FT_BITMAP_LENGTH / 4], link));
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
        if (length < CT_PREAMBLE_LENGTH || f.payloadByte(0) != CT_REVISION || f.payloadByte(4) != GS_TYPE_DIRECTORY
                || f.payloadByte(5) != GS_SUBTYPE_NAME_SERVER) {
            return ctReject(FS_RJT_INVALID_COMMAND, FS_EXPL_NONE);
        }
        int command = f.payloadByte(CT_COMMAND_OFFSET) << 8 | f.payloadByte(CT_COMMAND_OFFSET + 1);
        switch (command) {
            case GID_FT: {
                if (length < CT_PREAMBLE_LENGTH + 4) {
                    return ctReject(FS_RJT_UNABLE, FS_EXPL_NONE);
                }
                List<Integer> found = portsOfType(f.payloadByte(CT_PREAMBLE_LENGTH + 3));
                if (found.isEmpty()) {
                    return ctReject(FS_RJT_UNABLE, FS_EXPL_TYPES_NOT_REGISTERED);
                }
                ByteBuffer b = ctPreamble(CT_FS_ACC, found.size() * 4);
                for (int i = 0; i < found.size(); i++) {
                    b.putInt(CT_PREAMBLE_LENGTH + i * 4, found.get(i) | (i == found.size() - 1 ? 0x80000000 : 0));
                }
                return b.array();
            }
            case RFT_ID: {
                if (length < CT_PREAMBLE_LENGTH + 4 + FT_BITMAP_LENGTH) {
                    return ctReject(FS_RJT_UNABLE, FS_EXPL_NONE);
                }
                int port = f.payloadInt(CT_PREAMBLE_LENGTH) & 0xFFFFFF;
                if (port != source) {
                    // A port registers for itself only.
                    return ctReject(FS_RJT_UNABLE, FS_EXPL_NONE);
                }
                synchronized (lock) {
                    Entry e = ports.get(port);
                    if (e == null) {
                        return ctReject(FS_RJT_UNABLE, FS_EXPL_NONE);
                    }
                    for (int w = 0; w < FT_BITMAP_LENGTH / 4; w++) {
                        e.types()[w] = f.payloadInt(CT_PREAMBLE_LENGTH + 4 + w * 4);
                    }
                }
                return ctPreamble(CT_FS_ACC, 0).array();
            }
            default:
                return ctReject(FS_RJT_NOT_SUPPORTED, FS_EXPL_NONE);
        }
    }

    static ByteBuffer ctPreamble(int code, int payloadLength) {
        ByteBuffer b = ByteBuffer.allocate(CT_PREAMBLE_LENGTH + payloadLength);
        b.put(0, (byte) CT_REVISION);
        b.put(4, (byte) GS_TYPE_DIRECTORY);
        b.put(5, (byte) GS_SUBTYPE_NAME_SERVER);
        b.putShort(CT_COMMAND_OFFSET, (short) code);
        return b;
    }

    /** A name server request with its payload. */
    public static byte[] ctRequest(int command, byte[] payload) {
        ByteBuffer b = ctPreamble(command, payload.length);
        b.put(CT_PREAMBLE_LENGTH, payload);
        return b.array();
    }

    static byte[] ctReject(int reason, int explanation) {
        ByteBuffer b = ctPreamble(CT_FS_RJT, 0);
        b.put(13, (byte) reason);
        b.put(14, (byte) explanation);
        return b.array();
    }
}
