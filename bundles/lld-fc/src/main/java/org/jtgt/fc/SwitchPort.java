package org.jtgt.fc;

import org.jtgt.fc.wire.Els;
import org.jtgt.fc.wire.FcFrameHeader;
import org.jtgt.fc.wire.FcipFraming;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The switch's side of one link (its F_Port): the fabric login server at FFFFFEh (FLOGI, FDISC
 * and LOGO, FC-LS-3 4.2 and 6.6) and the directory server at FFFFFCh (PLOGI and LOGO with it,
 * then name server requests, FC-GS-7 5.2). N_Port IDs and the name server's records are the
 * fabric's ({@link FcFabric}, shared by all links); which ports logged in over this link is the
 * link's ({@link FcLink#ports}). Reader thread only.
 */
final class SwitchPort {
    private static final Logger LOG = LoggerFactory.getLogger(SwitchPort.class);

    private final FcLink link;
    private final FcTarget target;
    private final LinkSender sender;

    SwitchPort(FcLink link, LinkSender sender) {
        this.link = link;
        this.target = link.target;
        this.sender = sender;
    }

    // ---- fabric login server -------------------------------------------------------

    void fabricFrame(FcipFraming.Frame f) throws InterruptedException {
        if (f.rCtl() != FcFrameHeader.R_CTL_ELS_REQUEST || f.type() != FcFrameHeader.TYPE_ELS) {
            link.bad("non-ELS frame for the fabric login server: " + f);
            return;
        }
        int command = f.payloadByte(0);
        switch (command) {
            case Els.FLOGI:
            case Els.FDISC:
                fabricLogin(f, command);
                return;
            case Els.LOGO: {
                NPort p;
                synchronized (link.lock) {
                    p = link.ports.remove(f.sId());
                }
                if (p == null) {
                    link.bad("fabric LOGO from a port without a fabric login");
                    return;
                }
                link.endImage(p);
                target.fabric().logout(p.id, link);
                link.loginsChanged();
                sender.elsReply(f, FcFrameHeader.FABRIC_LOGIN_SERVER, Els.lsAcc());
                return;
            }
            default:
                sender.elsReply(f, FcFrameHeader.FABRIC_LOGIN_SERVER, Els.lsRjt(Els.RJT_NOT_SUPPORTED, Els.EXPL_NONE));
        }
    }

    /** FLOGI or FDISC (an NPIV port on the same link): an N_Port ID from the fabric, within the link's limit. */
    private void fabricLogin(FcipFraming.Frame f, int command) throws InterruptedException {
        if (f.payloadLength() < Els.LOGIN_LENGTH) {
            sender.elsReply(f, FcFrameHeader.FABRIC_LOGIN_SERVER, Els.lsRjt(Els.RJT_PROTOCOL_ERROR, Els.EXPL_NONE));
            return;
        }
        long wwpn = f.payloadLong(Els.PORT_NAME_OFFSET);
        long wwnn = f.payloadLong(Els.NODE_NAME_OFFSET);
        boolean known;
        int count;
        synchronized (link.lock) {
            known = portOf(wwpn) != null;
            count = link.ports.size();
        }
        if (!known && count >= target.settings().maxPortsPerLink()) {
            LOG.info("{}: {} from WWPN {} refused: {} N_Ports logged in over this link", link,
                    command == Els.FLOGI ? "FLOGI" : "FDISC", Long.toHexString(wwpn), count);
            sender.elsReply(f, FcFrameHeader.FABRIC_LOGIN_SERVER, Els.lsRjt(Els.RJT_UNABLE,
                    Els.EXPL_INSUFFICIENT_RESOURCES));
            return;
        }
        int portId = target.fabric().login(wwpn, wwnn, link);
        if (portId == FcFabric.DUPLICATE_PORT_NAME) {
            LOG.warn("{}: {} from WWPN {} refused: that port name is logged in over another link", link,
                    command == Els.FLOGI ? "FLOGI" : "FDISC", Long.toHexString(wwpn));
            sender.elsReply(f, FcFrameHeader.FABRIC_LOGIN_SERVER, Els.lsRjt(Els.RJT_UNABLE,
                    Els.EXPL_INVALID_PORT_NAME));
            return;
        }
        if (portId < 0) {
            sender.elsReply(f, FcFrameHeader.FABRIC_LOGIN_SERVER, Els.lsRjt(Els.RJT_UNABLE,
                    Els.EXPL_INSUFFICIENT_RESOURCES));
            return;
        }
        NPort p = new NPort(portId, wwpn, wwnn);
        p.frameSize = link.negotiate(Els.rxSize(f));
        NPort old;
        synchronized (link.lock) {
            old = link.ports.put(portId, p);
        }
        if (old != null) {
            link.endImage(old);   // a new fabric login ends the old one's sessions (FC-LS-3 4.2)
        }
        link.loginsChanged();
        FcTarget.Settings s = target.settings();
        byte[] acc = Els.login(Els.LS_ACC, s.nodeName() ^ 0x0000_0000_0000_FFFEL, s.nodeName(), s.frameSize(),
                Els.FEATURE_F_PORT, 10_000, 2_000);
        LOG.info("{}: {} from WWPN {} -> N_Port ID {}", link, command == Els.FLOGI ? "FLOGI" : "FDISC",
                Long.toHexString(wwpn), FcFrameHeader.portId(portId));
        sender.enqueue(FcipFraming.encode(FcFrameHeader.R_CTL_ELS_REPLY, portId, FcFrameHeader.FABRIC_LOGIN_SERVER,
                FcFrameHeader.TYPE_ELS, FcFrameHeader.F_CTL_REPLY, sender.nextSeqId(), f.oxId(), sender.nextRxId(), 0,
                acc));
    }

    /** Lock held: the port logged in over this link with port name {@code wwpn}, or null. */
    private NPort portOf(long wwpn) {
        for (NPort p : link.portList()) {
            if (p.portName == wwpn) {
                return p;
            }
        }
        return null;
    }

    // ---- directory (name server) -----------------------------------------------------

    void directoryFrame(NPort p, FcipFraming.Frame f) throws InterruptedException {
        if (f.rCtl() == FcFrameHeader.R_CTL_ELS_REQUEST && f.type() == FcFrameHeader.TYPE_ELS) {
            int command = f.payloadByte(0);
            if (command == Els.PLOGI) {
                synchronized (link.lock) {
                    p.nameServerLogin = true;
                }
                FcTarget.Settings s = target.settings();
                sender.elsReply(f, FcFrameHeader.DIRECTORY_SERVER, Els.login(Els.LS_ACC, s.nodeName() ^ 0xFFFCL,
                        s.nodeName(), s.frameSize(), 0, 0x00FF0000, 2_000));
            } else if (command == Els.LOGO) {
                synchronized (link.lock) {
                    p.nameServerLogin = false;
                }
                sender.elsReply(f, FcFrameHeader.DIRECTORY_SERVER, Els.lsAcc());
            } else {
                sender.elsReply(f, FcFrameHeader.DIRECTORY_SERVER, Els.lsRjt(Els.RJT_NOT_SUPPORTED, Els.EXPL_NONE));
            }
            return;
        }
        if (f.rCtl() == FcFrameHeader.R_CTL_UNSOL_CONTROL && f.type() == FcFrameHeader.TYPE_CT) {
            boolean loggedIn;
            synchronized (link.lock) {
                loggedIn = p.nameServerLogin;
            }
            if (!loggedIn) {
                link.bad("name server request without PLOGI to the directory server");
                return;
            }
            byte[] reply = target.fabric().nameServer(p.id, f);
            sender.enqueue(FcipFraming.encode(FcFrameHeader.R_CTL_SOL_CONTROL, p.id, FcFrameHeader.DIRECTORY_SERVER,
                    FcFrameHeader.TYPE_CT, FcFrameHeader.F_CTL_REPLY, sender.nextSeqId(), f.oxId(), sender.nextRxId(),
                    0, reply));
            return;
        }
        link.bad("unexpected frame for the directory server: " + f);
    }
}
