/**
 * The split shape's medium between the front and the daemon process, other than the
 * shared-memory rings the transport-shm bundle has built in: a bundle that can carry events
 * between two processes registers a {@link org.jtgt.transport.split.SplitMedium} service, and the
 * front and daemon components of transport-shm use it when the framework property
 * {@code jtgt.split.transport} names it. Everything that does not depend on the medium (the link,
 * the journal and its replay, the nexus bookkeeping, the catalog, generations and fencing) stays
 * in transport-shm. Exported for the netlink-style transport; not part of {@code org.jtgt.api}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.jtgt.transport.split;
