/**
 * The targets jtgtadm manages, as the bundle that keeps them in {@code targets.conf} offers them
 * to the commands: targets by tid, their LUNs, ACLs and CHAP accounts, and the syntax of the
 * values jtgtadm and {@code targets.conf} share.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package org.jtgt.api.config;
