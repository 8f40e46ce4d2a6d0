package org.jtgt.backing.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import org.jtgt.api.store.SpaceAllocationFailedException;

/**
 * Run by {@link FullFileSystemTest} in a process of its own, inside a mount namespace where
 * {@code args[0]} is a small tmpfs: a thin file store larger than the file system is written
 * until the file system is full, then space is given back and the refused write is made again.
 * Prints one line per step and exits 0 only if every step went as it should.
 */
public final class FullFileSystemProbe {
    private FullFileSystemProbe() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long size = Long.parseLong(args[1]);
        int chunk = 64 * 1024;
        FileStore s = (FileStore) new FileStoreProvider().open(dir.resolve("lun.img").toString(), size,
                Map.of("create", "true"));
        try {
            long refusedAt = -1;
            for (long at = 0; at < size; at += chunk) {
                try {
                    s.write(at, ByteBuffer.wrap(FileHolesTest.pattern(chunk, (int) (at / chunk))), false);
                } catch (SpaceAllocationFailedException e) {
                    refusedAt = at;
                    System.out.println("refused at " + at + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
                    break;
                } catch (IOException e) {
                    System.out.println("FAILED: a write met " + e + " instead of SpaceAllocationFailedException");
                    System.exit(1);
                }
            }
            if (refusedAt <= 0) {
                System.out.println("FAILED: the file system never ran out of space (refused at " + refusedAt + ")");
                System.exit(1);
            }
            // what was written before stays readable and the store keeps serving
            for (long at = 0; at < refusedAt; at += chunk) {
                if (!Arrays.equals(FileHolesTest.pattern(chunk, (int) (at / chunk)), FileHolesTest.read(s, at, chunk))) {
                    System.out.println("FAILED: data at " + at + " changed");
                    System.exit(1);
                }
            }
            System.out.println("earlier data intact");
            // once is not a fluke: the same write is refused again while the file system is full
            try {
                s.write(refusedAt, ByteBuffer.wrap(FileHolesTest.pattern(chunk, 99)), false);
                System.out.println("FAILED: a write into a full file system succeeded");
                System.exit(1);
            } catch (SpaceAllocationFailedException e) {
                System.out.println("still refused");
            }
            // space returns: a hole punched at the start gives blocks back to the file system
            s.deallocate(0, 4L * chunk);
            s.write(refusedAt, ByteBuffer.wrap(FileHolesTest.pattern(chunk, 99)), false);
            if (!Arrays.equals(FileHolesTest.pattern(chunk, 99), FileHolesTest.read(s, refusedAt, chunk))) {
                System.out.println("FAILED: the write after space returned reads back different data");
                System.exit(1);
            }
            System.out.println("written after space returned");
        } finally {
            s.close();
        }
    }
}
