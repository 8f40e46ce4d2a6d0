package org.jtgt.api.event;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Absolute little-endian accessors over any {@link ByteBuffer}, independent of the buffer's own
 * {@link ByteBuffer#order() order}. Event records are little-endian by definition (DESIGN.md,
 * "Event model"), so every codec access goes through here and never through the buffer's order.
 */
public final class LittleEndian {
    private static final VarHandle SHORT = MethodHandles.byteBufferViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private LittleEndian() {
    }

    public static int getU8(ByteBuffer b, int index) {
        return b.get(index) & 0xFF;
    }

    public static void putU8(ByteBuffer b, int index, int value) {
        b.put(index, (byte) value);
    }

    public static int getU16(ByteBuffer b, int index) {
        return ((short) SHORT.get(b, index)) & 0xFFFF;
    }

    public static void putU16(ByteBuffer b, int index, int value) {
        SHORT.set(b, index, (short) value);
    }

    public static int getI32(ByteBuffer b, int index) {
        return (int) INT.get(b, index);
    }

    public static void putI32(ByteBuffer b, int index, int value) {
        INT.set(b, index, value);
    }

    public static long getI64(ByteBuffer b, int index) {
        return (long) LONG.get(b, index);
    }

    public static void putI64(ByteBuffer b, int index, long value) {
        LONG.set(b, index, value);
    }
}
