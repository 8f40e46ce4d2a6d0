/**
 * The event model: the seven fixed-size, little-endian event records that cross a transport,
 * each described by a layout picture next to its static accessors. Codecs never allocate; they
 * read and write at absolute offsets of a {@link java.nio.ByteBuffer}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.jtgt.api.event;
