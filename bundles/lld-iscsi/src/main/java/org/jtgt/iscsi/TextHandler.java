package org.jtgt.iscsi;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;

import org.jtgt.api.target.TargetInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Text Requests in the full feature phase (RFC 7143 11.10, 11.11): SendTargets (appendix C),
 * vendor keys answered NotUnderstood, operational keys Reject (they are negotiated at login only).
 * An answer longer than the initiator's MaxRecvDataSegmentLength goes out in pieces, each fetched
 * with a Text Request carrying the Target Transfer Tag of the last; at most
 * {@value #MAX_TEXT_ANSWER} bytes are held. Reader thread only.
 */
final class TextHandler {
    private static final Logger LOG = LoggerFactory.getLogger(TextHandler.class);
    /** The longest answer to one Text Request, held until the initiator has fetched it. */
    static final int MAX_TEXT_ANSWER = 256 * 1024;

    private final IscsiConnection connection;
    private final IscsiTarget target;
    private final IscsiPortal portal;
    private final SocketChannel channel;
    private final PduDecoder decoder;
    private final CommandWindow window;
    private final ResponseSender sender;

    /** The answer being fetched in pieces, how much of it went out, and the TTT that asks for more. */
    private byte[] pending;
    private int pendingOffset;
    private int pendingTtt = Bhs.RESERVED_TAG;

    TextHandler(IscsiConnection connection, IscsiTarget target, IscsiPortal portal, SocketChannel channel,
            PduDecoder decoder, CommandWindow window, ResponseSender sender) {
        this.connection = connection;
        this.target = target;
        this.portal = portal;
        this.channel = channel;
        this.decoder = decoder;
        this.window = window;
        this.sender = sender;
    }

    void request(ByteBuffer h) {
        int itt = Bhs.itt(h);
        int ttt = Bhs.word20(h);
        if (!Bhs.immediate(h)) {
            int cmdSn = Bhs.cmdSn(h);
            if (!window.consume(cmdSn)) {
                LOG.debug("{}: Text with CmdSN {} outside {} dropped", connection, Integer.toUnsignedString(cmdSn),
                        window.describe());
                return;
            }
        }
        if (ttt != Bhs.RESERVED_TAG) {
            if (ttt != pendingTtt || pending == null) {
                sender.sendReject(h, RejectReason.INVALID_PDU_FIELD);
                return;
            }
            sendChunk(itt, Bhs.lun(h));
            return;
        }
        pending = null;
        pendingTtt = Bhs.RESERVED_TAG;
        if ((Bhs.flags(h) & Bhs.TEXT_CONTINUE) != 0) {
            // A request text split over PDUs: the few keys this target answers fit in one.
            sender.sendReject(h, RejectReason.COMMAND_NOT_SUPPORTED);
            return;
        }
        List<TextParameters.Pair> keys;
        try {
            byte[] raw = decoder.dataBytes();
            keys = TextParameters.parse(raw, raw.length);
        } catch (TextParameters.FormatException e) {
            LOG.debug("{}: malformed Text Request: {}", connection, e.getMessage());
            sender.sendReject(h, RejectReason.PROTOCOL_ERROR);
            return;
        }
        String repeated = TextParameters.firstRepeated(keys);
        if (repeated != null) {
            // RFC 7143 6.4: a key sent twice in one negotiation is answered with a Reject
            // (protocol error), which ends the negotiation (6.10); the initiator starts over.
            connection.warnBadPdu("Text Request with " + repeated + " twice: rejected");
            sender.sendReject(h, RejectReason.PROTOCOL_ERROR);
            return;
        }
        TextParameters answer = new TextParameters();
        for (TextParameters.Pair p : keys) {
            if (p.key().equals("SendTargets")) {
                sendTargets(p.value(), answer);
            } else if (p.key().startsWith("X-") || p.key().startsWith("X#")) {
                answer.add(p.key(), Negotiation.NOT_UNDERSTOOD);
            } else {
                // Operational keys are negotiated at login only (RFC 7143 13: "LO" keys).
                answer.add(p.key(), Negotiation.isOperationalKey(p.key()) ? Negotiation.REJECT : Negotiation.NOT_UNDERSTOOD);
            }
            if (answer.length() > MAX_TEXT_ANSWER) {
                // Held until the initiator has fetched it all: bounded per connection.
                connection.warnBadPdu("Text Request whose answer exceeds " + MAX_TEXT_ANSWER + " bytes: rejected");
                sender.sendReject(h, RejectReason.LONG_OPERATION_REJECT);
                return;
            }
        }
        pending = answer.toBytes();
        pendingOffset = 0;
        sendChunk(itt, Bhs.lun(h));
    }

    /**
     * SendTargets (RFC 7143 appendix C): the targets this initiator may see, each with every
     * portal it is reachable through ({@code address:port,TPGT}), in portal order. The portal this
     * connection came in on is given by the address the initiator reached; a portal bound to a
     * wildcard address by this connection's local address and its own port. The answer stops at
     * the last whole target that fits in {@link #MAX_TEXT_ANSWER}, with a warning: the list is
     * then incomplete, but one request can never make the target hold more.
     */
    private void sendTargets(String value, TextParameters answer) {
        SessionParameters p = connection.params();
        List<IscsiPortal> all = target.portals();
        String[] addresses = new String[all.size()];
        for (int i = 0; i < addresses.length; i++) {
            addresses[i] = portalAddress(all.get(i)) + "," + all.get(i).portalGroupTag();
        }
        for (TargetInfo t : target.targets()) {
            boolean wanted = value.equals("All") ? true
                    : value.isEmpty() ? !p.discovery && t.name().equals(p.targetName)
                    : t.name().equalsIgnoreCase(value);
            if (wanted && LoginNegotiator.admits(t, p.initiatorName)) {
                int size = TextParameters.size("TargetName", t.name());
                for (String a : addresses) {
                    size += TextParameters.size("TargetAddress", a);
                }
                if (answer.length() + size > MAX_TEXT_ANSWER) {
                    LOG.warn("{}: SendTargets answer cut at {} bytes; further targets not listed", connection,
                            answer.length());
                    return;
                }
                answer.add("TargetName", t.name());
                for (String a : addresses) {
                    answer.add("TargetAddress", a);
                }
            }
        }
    }

    /** How an initiator reaches {@code other}, seen from this connection. */
    private String portalAddress(IscsiPortal other) {
        if (other.equals(portal)) {
            return localAddress();
        }
        InetSocketAddress a = other.address();
        if (a.getAddress() != null && a.getAddress().isAnyLocalAddress()) {
            try {
                SocketAddress local = channel.getLocalAddress();
                if (local instanceof InetSocketAddress l && l.getAddress() != null) {
                    return IscsiPortal.format(new InetSocketAddress(l.getAddress(), a.getPort()));
                }
            } catch (IOException e) {
                LOG.debug("{}: no local address", connection, e);
            }
        }
        return IscsiPortal.format(a);
    }

    /** The address the initiator reached this connection at. */
    private String localAddress() {
        try {
            SocketAddress a = channel.getLocalAddress();
            if (a instanceof InetSocketAddress) {
                return IscsiPortal.format((InetSocketAddress) a);
            }
        } catch (IOException e) {
            LOG.debug("{}: no local address", connection, e);
        }
        return "127.0.0.1:3260";
    }

    /** The next piece of the pending answer, as long as the initiator takes. */
    private void sendChunk(int itt, long lun) {
        byte[] all = pending;
        int max = connection.params().initiatorMaxRecvDataSegmentLength;
        int length = Math.min(max, all.length - pendingOffset);
        boolean more = pendingOffset + length < all.length;
        ControlPdu rsp = new ControlPdu(Bhs.TEXT_RESPONSE, more ? Bhs.TEXT_CONTINUE : Bhs.FINAL_BIT);
        rsp.view.putLong(Bhs.LUN_OFFSET, lun);
        rsp.view.putInt(Bhs.ITT_OFFSET, itt);
        int ttt = more ? connection.nextTargetTransferTag() : Bhs.RESERVED_TAG;
        rsp.view.putInt(Bhs.WORD20_OFFSET, ttt);
        byte[] chunk = new byte[length];
        System.arraycopy(all, pendingOffset, chunk, 0, length);
        rsp.data = chunk;
        pendingOffset += length;
        if (more) {
            pendingTtt = ttt;
        } else {
            pending = null;
            pendingTtt = Bhs.RESERVED_TAG;
        }
        sender.enqueue(rsp);
    }
}
