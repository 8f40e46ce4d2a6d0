package org.jtgt.backing.file;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Another process for the tests: tries to lock a file once and says "locked" or "refused". */
public final class LockProbe {
    private LockProbe() {
    }

    public static void main(String[] args) throws Exception {
        try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock lock = ch.tryLock()) {
            System.out.println(lock == null ? "refused" : "locked");
        }
    }
}
