/**
 * Fibre Channel emulation LLD: FC-2 frames in FCIP encapsulation (RFC 3821, RFC 3643) over TCP,
 * an emulated fabric and a target N_Port speaking FCP-4. Private: the bundle exports nothing (the
 * emulated initiator that tests drive it with is the tools bundle {@code jtgt-fc-initiator}).
 *
 * <ul>
 * <li>{@link org.jtgt.fc.FcTarget}: the DS component (PID {@code org.jtgt.fc}); the listener, the
 *     SCSI host, nexus and task-management bookkeeping.</li>
 * <li>{@link org.jtgt.fc.FcLink}: one FCIP link: reader and sender threads, the fabric
 *     login server and name server side of the switch, PLOGI/PRLI/PRLO/LOGO, FCP exchanges
 *     ({@link org.jtgt.fc.FcExchange}), ABTS.</li>
 * <li>{@link org.jtgt.fc.FcFabric}: N_Port ID assignment and the name server (RFT_ID, GID_FT).</li>
 * <li>The FC and FCIP codecs are in {@code org.jtgt.fc.wire} (jtgt-fc-wire), embedded here as a
 *     private package.</li>
 * </ul>
 */
package org.jtgt.fc;
