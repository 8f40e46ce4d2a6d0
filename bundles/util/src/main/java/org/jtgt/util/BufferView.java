package org.jtgt.util;

import java.nio.ByteBuffer;

/**
 * A driver thread's view of a shared buffer (a command's {@link org.jtgt.api.host.HostCommand#dataBuffer()}, the
 * transport's data area), positioned on one range at a time. The view is a duplicate made once
 * and again only when the buffer is another one (another transport's data area), not per
 * command or PDU, and the shared buffer's own position and limit, which other threads use, are
 * never touched. Not thread-safe: one per thread, or per slot of a batch still being written.
 */
public final class BufferView {
    private ByteBuffer source;
    private ByteBuffer view;

    /** The view of {@code source} with position {@code position} and limit {@code position + length}. */
    public ByteBuffer of(ByteBuffer source, int position, int length) {
        if (source != this.source) {
            view = source.duplicate();
            this.source = source;
        }
        return view.limit(view.capacity()).position(position).limit(position + length);
    }
}
