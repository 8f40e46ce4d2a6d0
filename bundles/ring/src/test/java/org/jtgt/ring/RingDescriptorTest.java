package org.jtgt.ring;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * The layout pictures in {@link RingDescriptor}'s Javadoc and its constants must agree: this
 * parses the pictures from the source file, so a picture that drifts from the code fails here
 * (Aeron's {@code CncFileDescriptor} picture once did).
 */
class RingDescriptorTest {
    private static final Path SOURCE = Path.of("src/main/java/org/jtgt/ring/RingDescriptor.java");
    /** {@code * |   label   |  offset} */
    private static final Pattern ROW = Pattern.compile("^\\s*\\*\\s*\\|\\s*(\\S.*?)\\s*\\|\\s*(\\d+)\\s*$");
    private static final Pattern TYPED = Pattern.compile("\\((i32|u64)\\)");
    private static final Pattern SIZED = Pattern.compile("\\((\\d+) bytes");

    private record Row(String label, int offset) {
    }

    @Test
    void headerPictureMatchesConstants() throws IOException {
        List<Row> rows = rows(pictures().get(0));
        Map<String, Integer> expected = new LinkedHashMap<>();
        expected.put("magic (i32)", RingDescriptor.MAGIC_OFFSET);
        expected.put("version (i32)", RingDescriptor.VERSION_OFFSET);
        expected.put("slot size (i32)", RingDescriptor.SLOT_SIZE_OFFSET);
        expected.put("slot count (i32)", RingDescriptor.SLOT_COUNT_OFFSET);
        expected.put("producer mode (i32)", RingDescriptor.PRODUCER_MODE_OFFSET);
        expected.put("producer claim counter (u64)", RingDescriptor.PRODUCER_CLAIM_OFFSET);
        expected.put("consumer head (u64)", RingDescriptor.CONSUMER_HEAD_OFFSET);
        expected.put("consumer waiting flag (i32)", RingDescriptor.CONSUMER_WAITING_OFFSET);
        expected.put("slot 0 (slot size bytes)", RingDescriptor.HEADER_LENGTH);
        assertLabelsAt(expected, rows);
        assertContiguous(rows, RingDescriptor.HEADER_LENGTH);
    }

    @Test
    void slotPictureMatchesConstants() throws IOException {
        List<Row> rows = rows(pictures().get(1));
        Map<String, Integer> expected = new LinkedHashMap<>();
        expected.put("status: lap stamp (i32)", RingDescriptor.SLOT_STATUS_OFFSET);
        expected.put("length (i32)", RingDescriptor.SLOT_LENGTH_OFFSET);
        expected.put("payload (slot size - 8 bytes) ...", RingDescriptor.SLOT_HEADER_LENGTH);
        assertLabelsAt(expected, rows);
        assertContiguous(rows, RingDescriptor.SLOT_HEADER_LENGTH);
    }

    @Test
    void picturesAreDrawnOnOneGrid() throws IOException {
        // " * " then a 32-bit row: border, 63 columns, border.
        int left = 3;
        int right = left + 64;
        for (List<String> picture : pictures()) {
            for (String line : picture) {
                if (line.length() > left && (line.charAt(left) == '+' || line.charAt(left) == '|')) {
                    int end = line.charAt(left) == '+' ? line.lastIndexOf('+') : line.indexOf('|', left + 1);
                    assertEquals(right, end, "right border out of line: " + line);
                }
            }
        }
    }

    @Test
    void writersSitOnSeparateLinePairs() {
        int[] written = {
            RingDescriptor.MAGIC_OFFSET, // header words, written once by the creator
            RingDescriptor.PRODUCER_CLAIM_OFFSET,
            RingDescriptor.CONSUMER_HEAD_OFFSET,
            RingDescriptor.CONSUMER_WAITING_OFFSET,
            RingDescriptor.HEADER_LENGTH, // slot 0
        };
        for (int i = 1; i < written.length; i++) {
            assertEquals(0, written[i] % RingDescriptor.COUNTER_SPACING, "offset " + written[i]);
            assertTrue(written[i] - written[i - 1] >= RingDescriptor.COUNTER_SPACING);
        }
        assertEquals(128, RingDescriptor.COUNTER_SPACING);
        assertEquals(0, RingDescriptor.HEADER_LENGTH % RingDescriptor.CACHE_LINE_LENGTH);
        assertEquals(0, RingDescriptor.PRODUCER_CLAIM_OFFSET % Long.BYTES);
        assertEquals(0, RingDescriptor.CONSUMER_HEAD_OFFSET % Long.BYTES);
        assertEquals(8, RingDescriptor.SLOT_HEADER_LENGTH);
    }

    @Test
    void magicReadsJtrgInTheFile() {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, RingDescriptor.MAGIC);
        assertEquals("JTRG", new String(b.array(), US_ASCII));
        assertEquals(2, RingDescriptor.VERSION);
    }

    @Test
    void regionAndSlotArithmetic() {
        assertEquals(RingDescriptor.HEADER_LENGTH + 4096 * 128, RingDescriptor.regionLength(4096, 128));
        assertEquals(RingDescriptor.HEADER_LENGTH, RingDescriptor.slotOffset(8, 8, 64));
        assertEquals(RingDescriptor.HEADER_LENGTH + 3 * 64, RingDescriptor.slotOffset(8 * 5 + 3, 8, 64));
        assertEquals(56, RingDescriptor.maxRecordLength(64));
        // Lap stamps: lap + 1, the first lap's free slots reading 0 (STATUS_NEVER_PUBLISHED).
        assertEquals(RingDescriptor.STATUS_NEVER_PUBLISHED + 1, RingDescriptor.publishedStamp(0, 8));
        assertEquals(1, RingDescriptor.publishedStamp(7, 8));
        assertEquals(2, RingDescriptor.publishedStamp(8, 8));
        assertEquals(6, RingDescriptor.publishedStamp(8 * 5 + 3, 8));
        // 32 bits of the lap: lap 2^32 - 1 publishes 0, and lap 2^32 publishes 1 again.
        assertEquals(0, RingDescriptor.publishedStamp(((1L << 32) - 1) * 8, 8));
        assertEquals(1, RingDescriptor.publishedStamp((1L << 32) * 8 + 7, 8));
        assertThrows(IllegalArgumentException.class, () -> RingDescriptor.regionLength(1 << 20, 1 << 12));
        assertThrows(IllegalArgumentException.class, () -> RingDescriptor.regionLength(-2, 64));
    }

    private static void assertLabelsAt(Map<String, Integer> expected, List<Row> rows) {
        for (Map.Entry<String, Integer> e : expected.entrySet()) {
            Row row = rows.stream().filter(r -> r.label().equals(e.getKey())).findFirst().orElse(null);
            assertNotNull(row, "picture has no row '" + e.getKey() + "': " + rows);
            assertEquals(e.getValue().intValue(), row.offset(), "offset of '" + e.getKey() + "'");
        }
    }

    /** Each row's size (from its type or byte count) must end where the next row starts. */
    private static void assertContiguous(List<Row> rows, int lastOffset) {
        for (int i = 0; i < rows.size() - 1; i++) {
            Row row = rows.get(i);
            assertEquals(rows.get(i + 1).offset(), row.offset() + sizeOf(row), "row after '" + row.label() + "'");
        }
        assertEquals(lastOffset, rows.get(rows.size() - 1).offset());
    }

    private static int sizeOf(Row row) {
        Matcher typed = TYPED.matcher(row.label());
        if (typed.find()) {
            return typed.group(1).equals("u64") ? Long.BYTES : Integer.BYTES;
        }
        Matcher sized = SIZED.matcher(row.label());
        if (sized.find()) {
            return Integer.parseInt(sized.group(1));
        }
        throw new AssertionError("row without a size: " + row.label());
    }

    private static List<Row> rows(List<String> picture) {
        List<Row> rows = new ArrayList<>();
        for (String line : picture) {
            Matcher m = ROW.matcher(line);
            if (m.matches()) {
                rows.add(new Row(m.group(1), Integer.parseInt(m.group(2))));
            }
        }
        assertTrue(rows.size() >= 3, "too few rows parsed: " + rows);
        return rows;
    }

    /** The {@code <pre>} blocks of the class Javadoc, in order. */
    private static List<List<String>> pictures() throws IOException {
        List<List<String>> pictures = new ArrayList<>();
        List<String> current = null;
        for (String line : Files.readAllLines(SOURCE)) {
            if (line.contains("<pre>")) {
                current = new ArrayList<>();
            } else if (line.contains("</pre>")) {
                pictures.add(current);
                current = null;
            } else if (current != null) {
                current.add(line);
            }
        }
        assertEquals(2, pictures.size(), "expected the header and the slot picture");
        return pictures;
    }
}
