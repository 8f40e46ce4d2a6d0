package org.jtgt.api.target;

/** A snapshot of one logical unit. */
public record LunInfo(int lun, String backing, long sizeBytes, int blockSize, LunOptions options) {
}
