package org.jtgt.backing.rbd;

import com.sun.jna.Pointer;

/**
 * The reply of a RADOS notify ({@code rados_notify2}, {@code rados_aio_notify}) as librados
 * encodes it: le32 acks, then per ack le64 gid, le64 cookie, le32 length and that many payload
 * bytes; then le32 timeouts, then per timeout le64 gid, le64 cookie.
 */
final class NotifyReply {
    private NotifyReply() {
    }

    /** One acknowledgement's payload (not copied: valid until the reply buffer is freed). */
    interface Ack {
        void ack(long gid, long cookie, long payload, int length);
    }

    /**
     * Walks the reply at {@code address} ({@code length} bytes), handing each acknowledgement to
     * {@code each} (may be null); stops at the end of the buffer.
     *
     * @return the numbers of acks and timeouts, as {@link #acks} and {@link #timeouts} read them
     */
    static long scan(long address, long length, Ack each) {
        if (address == 0 || length < 4) {
            return 0;
        }
        Pointer p = new Pointer(address);
        int acks = p.getInt(0);
        long at = 4;
        int seen = 0;
        for (int i = 0; i < acks && at + 20 <= length; i++) {
            long gid = p.getLong(at);
            long cookie = p.getLong(at + 8);
            int n = p.getInt(at + 16);
            at += 20;
            if (n < 0 || at + n > length) {
                break;
            }
            if (each != null) {
                each.ack(gid, cookie, address + at, n);
            }
            at += n;
            seen++;
        }
        int timeouts = at + 4 <= length ? p.getInt(at) : 0;
        return ((long) seen << 32) | (timeouts & 0xFFFFFFFFL);
    }

    static int acks(long counts) {
        return (int) (counts >>> 32);
    }

    static int timeouts(long counts) {
        return (int) counts;
    }
}
