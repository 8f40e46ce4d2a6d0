/**
 * A multi-producer, single-consumer ring of fixed-size slots over a direct or memory-mapped
 * {@link java.nio.ByteBuffer}, so that the consumer may live in another process attached to the
 * same file. {@link org.jtgt.api.ring.RingDescriptor} is the byte layout,
 * {@link org.jtgt.api.ring.SlotRing} the protocol. Nothing here knows about SCSI.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.jtgt.api.ring;
