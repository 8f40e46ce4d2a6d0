/**
 * Fibre Channel emulation LLD: FC-2 frames in FCIP encapsulation (RFC 3821, RFC 3643) over TCP,
 * an emulated fabric and a target N_Port speaking FCP-4. Private: the bundle exports nothing (the
 * emulated initiator that tests drive it with is the tools bundle {@code jtgt-fc-initiator}).
 *
 * <ul>
 * <li>{@link org.jtgt.fc.FcTarget}: the DS component (PID {@code org.jtgt.fc}); the listener, the
 *     SCSI host, nexus and task-management bookkeeping.</li>
 * <li>{@link org.jtgt.fc.FcLink}: one FCIP link: its threads, the N_Ports logged in over it
 *     ({@link org.jtgt.fc.NPort}), the reader's dispatch by D_ID, teardown.</li>
 * <li>{@link org.jtgt.fc.SwitchPort}: the switch's side of a link: fabric login server
 *     (FLOGI/FDISC/LOGO) and directory server; {@link org.jtgt.fc.FcFabric}: N_Port ID
 *     assignment and the name server (RFT_ID, GID_FT), shared by all links.</li>
 * <li>{@link org.jtgt.fc.TargetLogins}: PLOGI/PRLI/PRLO/LOGO with the target N_Port (image
 *     pairs, one I_T nexus each).</li>
 * <li>{@link org.jtgt.fc.FcpExchanges}: FCP_CMND, FCP_XFER_RDY, FCP_DATA, ABTS and task
 *     management; the pool of {@link org.jtgt.fc.FcExchange}s.</li>
 * <li>{@link org.jtgt.fc.LinkSender}: everything bound for the wire, through
 *     {@link org.jtgt.fc.FcSendQueue}; Data-In and FCP_RSP encoded in place.</li>
 * <li>The FC and FCIP codecs are in {@code org.jtgt.fc.wire} (jtgt-fc-wire), embedded here as a
 *     private package.</li>
 * </ul>
 */
package org.jtgt.fc;
