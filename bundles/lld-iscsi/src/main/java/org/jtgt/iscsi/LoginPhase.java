package org.jtgt.iscsi;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.jtgt.api.host.NexusResult;
import org.jtgt.api.host.ScsiHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection's login phase (RFC 7143 6.3), and what it settles: the session's identity (ISID,
 * CID, TSIH, initiator port, the I_T nexus) and its negotiated parameters. Each Login Request
 * goes to the {@link LoginNegotiator}; its reply becomes the Login Response. Entering the full
 * feature phase registers the session with the target (reinstating an older one with the same
 * ISID) and, for a Normal session, creates its I_T nexus. A failed CHAP answer is held back for
 * the {@link LoginGuard}'s delay before it is answered; a failed login is answered and the
 * connection closed (RFC 7143 6.3.6).
 *
 * <p>The reader thread runs the login; the identity fields are written during login and only
 * read afterwards.
 */
final class LoginPhase {
    private static final Logger LOG = LoggerFactory.getLogger(LoginPhase.class);

    private final IscsiConnection connection;
    private final IscsiTarget target;
    private final IscsiPortal portal;
    private final TargetSettings settings;
    private final ScsiHost host;
    private final SocketChannel channel;
    private final PduDecoder decoder;
    private final PduWriter writer;
    private final CommandWindow window;
    private final ResponseSender sender;
    private final Liveness liveness;

    private volatile SessionParameters params;
    private long isid;
    private int cid;
    private volatile int tsih;
    private volatile long nexusId = -1;
    private volatile String initiatorPort;
    private volatile String sessionKey;

    LoginPhase(IscsiConnection connection, IscsiTarget target, IscsiPortal portal, TargetSettings settings,
            ScsiHost host, SocketChannel channel, PduDecoder decoder, PduWriter writer, CommandWindow window,
            ResponseSender sender, Liveness liveness) {
        this.connection = connection;
        this.target = target;
        this.portal = portal;
        this.settings = settings;
        this.host = host;
        this.channel = channel;
        this.decoder = decoder;
        this.writer = writer;
        this.window = window;
        this.sender = sender;
        this.liveness = liveness;
    }

    /** The negotiated parameters once the login reached the full feature phase (or failed there); else null. */
    SessionParameters params() {
        return params;
    }

    long isid() {
        return isid;
    }

    int cid() {
        return cid;
    }

    int tsih() {
        return tsih;
    }

    /** The session's I_T nexus, or -1 (none yet, or a discovery session). */
    long nexusId() {
        return nexusId;
    }

    /** {@code <initiator>,i,0x<ISID>} of a Normal session, or null. */
    String initiatorPort() {
        return initiatorPort;
    }

    /** What the target finds the session under for reinstatement, or null. */
    String sessionKey() {
        return sessionKey;
    }

    /**
     * Runs the login to its end: true once the full feature phase is reached (the last Login
     * Response queued, digests and limits switched on), false if it failed (answered, and the
     * connection closing).
     */
    boolean run() throws IOException, ConnectionFailure, InterruptedException {
        LoginNegotiator negotiator = new LoginNegotiator(settings, portal.portalGroupTag(), target.directory());
        boolean first = true;
        while (true) {
            decoder.read(channel, null);
            liveness.received();
            ByteBuffer h = decoder.header();   // a Login Request: the decoder lets nothing else through
            int flags = Bhs.flags(h);
            long requestIsid = Bhs.isid(h);
            int requestTsih = Bhs.tsih(h);
            int itt = Bhs.itt(h);
            int requestCid = h.getShort(Bhs.WORD20_OFFSET) & 0xFFFF;
            if (first) {
                first = false;
                isid = requestIsid;
                cid = requestCid;
                window.start(Bhs.cmdSn(h));
                if (requestTsih != 0) {
                    // Adding a connection to a session: with MaxConnections=1 there is no room.
                    int status = target.sessionTable().exists(requestTsih) ? LoginStatus.TOO_MANY_CONNECTIONS
                            : LoginStatus.SESSION_DOES_NOT_EXIST;
                    fail(h, itt, status, "TSIH " + requestTsih);
                    return false;
                }
            } else if (requestIsid != isid || requestTsih != 0 || requestCid != cid) {
                fail(h, itt, LoginStatus.INITIATOR_ERROR, "ISID, TSIH or CID changed during login");
                return false;
            }
            LoginNegotiator.Request request = new LoginNegotiator.Request((flags & Bhs.LOGIN_TRANSIT) != 0,
                    (flags & Bhs.LOGIN_CONTINUE) != 0, (flags >> 2) & 3, flags & 3, h.get(Bhs.BYTE2_OFFSET) & 0xFF,
                    h.get(Bhs.BYTE3_OFFSET) & 0xFF, decoder.dataBytes());
            LoginNegotiator.Reply reply = negotiator.process(request);
            InetAddress remoteAddress = connection.remoteAddress();
            if (reply.failed()) {
                SessionParameters p = negotiator.parameters();
                target.loginFailures().warn(LOG, "{}: login of {} to {} failed: {} ({})", connection, p.initiatorName,
                        p.targetName != null ? p.targetName : "a target it did not name or that does not exist",
                        LoginStatus.describe(reply.status()), reply.reason());
                if (reply.status() == LoginStatus.AUTHENTICATION_FAILURE && remoteAddress != null) {
                    // A growing delay per initiator name and source makes guessing secrets slow.
                    long delay = target.loginGuard().authenticationFailed(p.initiatorName, remoteAddress,
                            System.nanoTime());
                    sleepBeforeAnswering(delay);
                }
                fail(h, itt, reply.status(), reply.reason());
                return false;
            }
            int responseTsih = 0;
            if (reply.enterFullFeature()) {
                SessionParameters p = negotiator.parameters();
                params = p;
                int status = enterFullFeature(p);
                if (status != LoginStatus.SUCCESS) {
                    fail(h, itt, status, LoginStatus.describe(status));
                    return false;
                }
                if (remoteAddress != null) {
                    target.loginGuard().authenticated(p.initiatorName, remoteAddress);
                }
                responseTsih = tsih;
            }
            ControlPdu rsp = new ControlPdu(Bhs.LOGIN_RESPONSE,
                    (reply.transit() ? Bhs.LOGIN_TRANSIT : 0) | reply.csg() << 2 | reply.nsg());
            rsp.view.put(Bhs.BYTE2_OFFSET, (byte) 0);      // Version-max
            rsp.view.put(Bhs.BYTE3_OFFSET, (byte) 0);      // Version-active
            Bhs.putIsid(rsp.view, isid);
            rsp.view.putShort(Bhs.TSIH_OFFSET, (short) responseTsih);
            rsp.view.putInt(Bhs.ITT_OFFSET, itt);
            rsp.data = reply.text();
            if (reply.enterFullFeature()) {
                SessionParameters p = params;
                // Digests and the negotiated limits apply from the first PDU after this response
                // (RFC 7143 13.1, 13.12): on our side from the next decode, on the sender's after
                // this response is written.
                rsp.after = () -> writer.digests(p.headerDigest, p.dataDigest);
                sender.enqueue(rsp);
                decoder.digests(p.headerDigest, p.dataDigest);
                decoder.limit(p.targetMaxRecvDataSegmentLength);
                decoder.fullFeaturePhase();
                if (p.discovery) {
                    LOG.info("discovery session of {} from {} ({})", p.initiatorName, connection.remote(), p);
                } else {
                    LOG.info("login {} to {} from {}: TSIH {}, nexus {} ({})", initiatorPort, p.targetName,
                            connection.remote(), tsih, nexusId, p);
                }
                return true;
            }
            sender.enqueue(rsp);
        }
    }

    /** Session reinstatement, TSIH, and for a Normal session the I_T nexus. */
    private int enterFullFeature(SessionParameters p) throws InterruptedException {
        if (p.discovery) {
            tsih = target.sessionTable().register(connection, null);
            return tsih == 0 ? LoginStatus.OUT_OF_RESOURCES : LoginStatus.SUCCESS;
        }
        String port = p.initiatorName + ",i,0x" + String.format("%012x", isid);
        initiatorPort = port;
        // RFC 7143 6.3.5: a leading login with the ISID of an existing session (TSIH 0) reinstates
        // it: the old session is closed first. Its nexus destroy is queued before our create.
        // The session is the I_T nexus, so the target port (target name and TPGT) is part of the
        // key: the same ISID through another portal group is another session (multipath).
        String key = p.initiatorName.toLowerCase(Locale.ROOT) + "|" + Long.toHexString(isid) + "|" + p.targetName
                + "|" + portal.portalGroupTag();
        sessionKey = key;
        tsih = target.sessionTable().register(connection, key);
        if (tsih == 0) {
            return LoginStatus.OUT_OF_RESOURCES;
        }
        NexusResult result;
        long id;
        try {
            id = host.createNexus(port, p.targetName, portal.relativePortId());
        } catch (RuntimeException e) {
            LOG.warn("{}: creating the nexus failed: {}", connection, e.toString());
            return LoginStatus.SERVICE_UNAVAILABLE;
        }
        result = target.awaitNexus(id, settings.loginTimeoutMillis());
        if (result == NexusResult.OK) {
            nexusId = id;
            return LoginStatus.SUCCESS;
        }
        LOG.warn("{}: nexus {} -> {} refused ({})", connection, port, p.targetName, result);
        if (result == null) {   // no answer in time
            return LoginStatus.SERVICE_UNAVAILABLE;
        }
        switch (result) {
            case NO_SUCH_TARGET:
                return LoginStatus.NOT_FOUND;
            case ACCESS_DENIED:
                return LoginStatus.AUTHORIZATION_FAILURE;
            default:
                return LoginStatus.TARGET_ERROR;
        }
    }

    /** Holds this connection's reader for {@code millis} before a failed login is answered. */
    private void sleepBeforeAnswering(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (millis > 0 && channel.isOpen()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                Thread.sleep(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 100));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Answers a failed login with {@code status} and closes the connection once it is written. */
    private void fail(ByteBuffer h, int itt, int status, String reason) {
        ControlPdu rsp = new ControlPdu(Bhs.LOGIN_RESPONSE, Bhs.flags(h) & 0x0C);
        Bhs.putIsid(rsp.view, isid);
        rsp.view.putInt(Bhs.ITT_OFFSET, itt);
        rsp.view.put(Bhs.WORD36_OFFSET, (byte) (status >> 8));
        rsp.view.put(Bhs.WORD36_OFFSET + 1, (byte) status);
        String why = "login failed: " + LoginStatus.describe(status) + (reason == null ? "" : " (" + reason + ")");
        rsp.after = () -> connection.abort(why);
        sender.enqueue(rsp);
        connection.closeReasonIfNone(why);
        // Let the sender write it before the connection goes (RFC 7143 6.3.6: the target closes).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (channel.isOpen() && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
