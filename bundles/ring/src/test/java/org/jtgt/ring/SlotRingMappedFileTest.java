package org.jtgt.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ring over a memory-mapped file under {@code target/}, attached a second time through a
 * second, independent mapping of the same file: what a peer in another process sees.
 */
class SlotRingMappedFileTest {
    /** 64-byte aligned but not page aligned: any such offset must do. */
    private static final int OFFSET = 192;
    private static final int SLOTS = 64;
    private static final int SLOT_SIZE = 128;

    private Path file;
    private FileChannel first;
    private FileChannel second;

    @BeforeEach
    void openFile() throws IOException {
        Path dir = Files.createDirectories(Path.of("target", "ring-test"));
        file = Files.createTempFile(dir, "ring", ".shm");
        first = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        second = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    @AfterEach
    void deleteFile() throws IOException {
        first.close();
        second.close();
        Files.deleteIfExists(file);
    }

    private MappedByteBuffer map(FileChannel channel) throws IOException {
        MappedByteBuffer b = channel.map(FileChannel.MapMode.READ_WRITE, 0,
                OFFSET + RingDescriptor.regionLength(SLOTS, SLOT_SIZE));
        b.order(ByteOrder.LITTLE_ENDIAN);
        return b;
    }

    @Test
    void secondMappingSeesRecordsBothWays() throws IOException {
        MappedByteBuffer mapA = map(first);
        MappedByteBuffer mapB = map(second);
        SlotRing a = SlotRing.create(mapA, OFFSET, SLOTS, SLOT_SIZE);
        SlotRing b = SlotRing.attach(mapB, OFFSET);
        assertEquals(SLOTS, b.slotCount());
        assertEquals(SLOT_SIZE, b.slotSize());

        ByteBuffer src = Records.alignedDirect(SLOT_SIZE);
        int max = a.maxRecordLength();
        for (int i = 0; i < 10; i++) {
            assertTrue(a.offer(src, 0, Records.write(src, 1, i, max)));
        }
        List<Long> seen = new ArrayList<>();
        SlotRing.RecordHandler collect = (buffer, offset, length) -> {
            assertTrue(buffer == mapB, "records are handed out in the consumer's own mapping");
            Records.verify(buffer, offset, length, max);
            seen.add(Records.sequence(buffer, offset));
        };
        assertEquals(10, b.drain(collect, 100));
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), seen);
        assertEquals(0, a.size(), "the head advanced in the file, not in a private copy");

        // Fill the ring from the second mapping: the first sees it full.
        for (int i = 0; i < SLOTS; i++) {
            assertTrue(b.offer(src, 0, Records.write(src, 2, i, max)));
        }
        assertEquals(false, a.offer(src, 0, 8));
        assertEquals(SLOTS, a.drain((buffer, offset, length) -> Records.verify(buffer, offset, length, max), 1000));

        mapA.force();
        assertEquals(RingDescriptor.MAGIC, readIntFromFile(OFFSET + RingDescriptor.MAGIC_OFFSET));
        assertEquals(10 + SLOTS, readLongFromFile(OFFSET + RingDescriptor.CONSUMER_HEAD_OFFSET));
    }

    @Test
    void producerAndConsumerOnDifferentMappingsWithoutDoorbell() throws Exception {
        SlotRing producerSide = SlotRing.create(map(first), OFFSET, SLOTS, SLOT_SIZE);
        SlotRing consumerSide = SlotRing.attach(map(second), OFFSET);
        // The producer's instance knows no consumer thread, as in another process: the consumer
        // must find records through its bounded parks.
        consumerSide.setConsumerThread(Thread.currentThread());
        int total = 200_000;
        int max = producerSide.maxRecordLength();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread producer = new Thread(() -> {
            ByteBuffer src = Records.alignedDirect(SLOT_SIZE);
            try {
                for (long seq = 0; seq < total; seq++) {
                    if (!producerSide.send(src, 0, Records.write(src, 0, seq, max), TimeUnit.SECONDS.toNanos(30))) {
                        throw new AssertionError("could not send " + seq);
                    }
                    if (seq % 50_000 == 0) {
                        Thread.sleep(5); // let the consumer go to sleep now and then
                    }
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "mapped-producer");
        producer.setDaemon(true);

        long[] next = {0};
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            producer.start();
            while (next[0] < total && failure.get() == null) {
                if (consumerSide.await(TimeUnit.MILLISECONDS.toNanos(100))) {
                    consumerSide.drain((buffer, offset, length) -> {
                        Records.verify(buffer, offset, length, max);
                        assertEquals(next[0]++, Records.sequence(buffer, offset));
                    }, 256);
                }
            }
            producer.join();
        });
        assertEquals(null, failure.get());
        assertEquals(total, next[0]);
        assertEquals(0, producerSide.size());
    }

    @Test
    void attachToAFileNobodyInitialisedIsRefused() throws IOException {
        MappedByteBuffer map = map(first);
        assertNotEquals(0, map.capacity());
        RingFormatException e = org.junit.jupiter.api.Assertions.assertThrows(RingFormatException.class,
                () -> SlotRing.attach(map, OFFSET));
        assertTrue(e.getMessage().contains("version is 0"), e.getMessage());
    }

    private int readIntFromFile(long position) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        second.read(b, position);
        return b.getInt(0);
    }

    private long readLongFromFile(long position) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        second.read(b, position);
        return b.getLong(0);
    }
}
