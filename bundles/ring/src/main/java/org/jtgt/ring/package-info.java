/**
 * A multi-producer, single-consumer ring of fixed-size slots over a direct or memory-mapped
 * {@link java.nio.ByteBuffer}, so that the consumer may live in another process attached to the
 * same file. {@link org.jtgt.ring.RingDescriptor} is the byte layout,
 * {@link org.jtgt.ring.SlotRing} the protocol. Nothing here knows about SCSI.
 *
 * <p>A library, not jtgt's API: exported by the ring bundle for the transports (shared memory,
 * netlink-style) and the benchmarks, outside {@code org.jtgt.api}. It was
 * {@code org.jtgt.api.ring} 1.1.0 before it became a package of its own. Slot statuses are lap
 * stamps (ring layout version 2; the status constants of layout version 1 are gone). 1.1.0 added
 * the doorbell, 1.2.0 {@code SlotRing.setProducersWakeConsumer}; in 1.2.1 a pending
 * {@code wakeConsumer} also cuts {@code await}'s spinning and yielding short.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.1")
package org.jtgt.ring;
