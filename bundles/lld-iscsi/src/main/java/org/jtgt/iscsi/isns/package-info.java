/**
 * An iSNS client (RFC 4171) for the iSCSI driver: {@link org.jtgt.iscsi.isns.IsnsPdu} (framing and
 * attributes), {@link org.jtgt.iscsi.isns.IsnsClient} (one request, one response over TCP) and
 * {@link org.jtgt.iscsi.isns.IsnsRegistration} (keeps the driver's targets and portals registered).
 * Private: nothing here is exported.
 */
package org.jtgt.iscsi.isns;
