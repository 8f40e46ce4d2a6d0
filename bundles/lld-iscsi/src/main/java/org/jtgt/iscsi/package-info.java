/**
 * The iSCSI target low-level driver (RFC 7143). Private: nothing here is exported.
 *
 * <ul>
 * <li>{@link org.jtgt.iscsi.IscsiTarget}: the DS component; portals, sessions, the SCSI host.</li>
 * <li>{@link org.jtgt.iscsi.IscsiConnection}: one connection (and session): reader and sender
 *     threads, the CmdSN window, R2T/Data-Out, Data-In, TMF, text, logout.</li>
 * <li>Framing, separate from meaning: {@link org.jtgt.iscsi.PduDecoder} (inbound state machine),
 *     {@link org.jtgt.iscsi.PduWriter} (batched gathering writes), {@link org.jtgt.iscsi.Bhs}
 *     (the header layout), {@link org.jtgt.iscsi.Digests} (CRC32C).</li>
 * <li>Login: {@link org.jtgt.iscsi.LoginNegotiator}, {@link org.jtgt.iscsi.Negotiation} (key
 *     result functions), {@link org.jtgt.iscsi.Chap}, {@link org.jtgt.iscsi.TextParameters}.</li>
 * </ul>
 */
package org.jtgt.iscsi;
