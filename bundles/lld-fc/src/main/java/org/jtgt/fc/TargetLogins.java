package org.jtgt.fc;

import org.jtgt.api.host.NexusResult;
import org.jtgt.fc.wire.Els;
import org.jtgt.fc.wire.FcFrameHeader;
import org.jtgt.fc.wire.FcipFraming;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The extended link services an initiator N_Port sends the target N_Port over one link: PLOGI
 * and LOGO (port login, FC-LS-3 6.6.3, 5.4), PRLI and PRLO (the FCP image pair, FC-LS-3 6.7,
 * FCP-4 6.3). An image pair is one I_T nexus, named {@code naa.<WWPN>}, created in the daemon at
 * PRLI and destroyed when the pair ends ({@link FcLink#endImage}). Reader thread only.
 */
final class TargetLogins {
    private static final Logger LOG = LoggerFactory.getLogger(TargetLogins.class);

    private final FcLink link;
    private final FcTarget target;
    private final LinkSender sender;

    TargetLogins(FcLink link, LinkSender sender) {
        this.link = link;
        this.target = link.target;
        this.sender = sender;
    }

    static String initiatorPortName(long wwpn) {
        return String.format("naa.%016x", wwpn);
    }

    void els(NPort p, FcipFraming.Frame f) throws InterruptedException {
        int command = f.payloadByte(0);
        int src = FcFabric.TARGET_PORT_ID;
        switch (command) {
            case Els.PLOGI: {
                if (f.payloadLength() < Els.LOGIN_LENGTH) {
                    sender.elsReply(f, src, Els.lsRjt(Els.RJT_PROTOCOL_ERROR, Els.EXPL_NONE));
                    return;
                }
                boolean relogin;
                synchronized (link.lock) {
                    relogin = p.plogi;
                }
                if (relogin) {
                    link.endImage(p);   // PLOGI while logged in: implicit logout first (FC-LS-3 6.6.3)
                }
                synchronized (link.lock) {
                    p.plogi = true;
                    p.frameSize = link.negotiate(Els.rxSize(f));
                }
                FcTarget.Settings s = target.settings();
                LOG.info("{}: PLOGI from {} (WWPN {}), frame size {}", link, FcFrameHeader.portId(p.id),
                        Long.toHexString(p.portName), p.frameSize);
                sender.elsReply(f, src, Els.login(Els.LS_ACC, s.portName(), s.nodeName(), s.frameSize(),
                        Els.FEATURE_CIRO, 0x00FF0000, 2_000));
                return;
            }
            case Els.PRLI:
                prli(p, f);
                return;
            case Els.PRLO: {
                link.endImage(p);
                sender.elsReply(f, src, Els.prli(Els.LS_ACC, Els.PRLI_REQUEST_EXECUTED, 0));
                return;
            }
            case Els.LOGO: {
                link.endImage(p);
                synchronized (link.lock) {
                    p.plogi = false;
                }
                LOG.info("{}: LOGO from {}", link, FcFrameHeader.portId(p.id));
                sender.elsReply(f, src, Els.lsAcc());
                return;
            }
            default:
                sender.elsReply(f, src, Els.lsRjt(Els.RJT_NOT_SUPPORTED, Els.EXPL_NONE));
        }
    }

    /** PRLI: the FCP image pair, and with it the I_T nexus in the daemon (once; a repeated PRLI is accepted as is). */
    private void prli(NPort p, FcipFraming.Frame f) throws InterruptedException {
        int src = FcFabric.TARGET_PORT_ID;
        boolean loggedIn;
        boolean imagePair;
        synchronized (link.lock) {
            loggedIn = p.plogi;
            imagePair = p.prli;
        }
        if (!loggedIn) {
            sender.elsReply(f, src, Els.lsRjt(Els.RJT_UNABLE, Els.EXPL_LOGIN_REQUIRED));
            return;
        }
        if (f.payloadLength() < Els.PRLI_LENGTH || f.payloadByte(1) != 0x10
                || f.payloadByte(Els.PRLI_TYPE_OFFSET) != FcFrameHeader.TYPE_FCP) {
            sender.elsReply(f, src, Els.lsRjt(Els.RJT_PROTOCOL_ERROR, Els.EXPL_NONE));
            return;
        }
        if (!imagePair) {
            String targetName = target.targetName();
            if (targetName == null) {
                LOG.warn("{}: PRLI from {}: no target to serve", link, FcFrameHeader.portId(p.id));
                sender.elsReply(f, src, Els.lsRjt(Els.RJT_UNABLE, Els.EXPL_NONE));
                return;
            }
            String initiator = initiatorPortName(p.portName);
            FcTarget.Nexus nexus;
            try {
                nexus = target.createNexus(initiator, targetName);
            } catch (RuntimeException e) {
                LOG.warn("{}: creating the nexus failed: {}", link, e.toString());
                sender.elsReply(f, src, Els.lsRjt(Els.RJT_UNABLE, Els.EXPL_NONE));
                return;
            }
            if (nexus.result() != NexusResult.OK) {
                LOG.warn("{}: nexus {} -> {} refused ({})", link, initiator, targetName, nexus.result());
                sender.elsReply(f, src, Els.lsRjt(Els.RJT_UNABLE, Els.EXPL_NONE));
                return;
            }
            synchronized (link.lock) {
                p.nexusId = nexus.id();
                p.targetName = targetName;
                p.prli = true;
            }
            LOG.info("{}: PRLI from {}: I_T nexus {} {} -> {}", link, FcFrameHeader.portId(p.id), nexus.id(),
                    initiator, targetName);
        }
        sender.elsReply(f, src, Els.prli(Els.LS_ACC, Els.PRLI_ESTABLISH_IMAGE_PAIR | Els.PRLI_REQUEST_EXECUTED,
                Els.FCP_TARGET_FUNCTION | Els.FCP_READ_XFER_RDY_DISABLED));
    }
}
