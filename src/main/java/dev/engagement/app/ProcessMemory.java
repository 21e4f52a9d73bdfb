package dev.engagement.app;

import java.nio.file.Files;
import java.nio.file.Path;

/** This process's resident memory, from {@code /proc/self/status} (Linux only). */
public final class ProcessMemory {

    private ProcessMemory() {
    }

    /** Current resident set size in bytes, or -1 where unknown. */
    public static long rssBytes() {
        return statusBytes("VmRSS:");
    }

    /** Peak resident set size in bytes, or -1 where unknown. */
    public static long peakRssBytes() {
        return statusBytes("VmHWM:");
    }

    private static long statusBytes(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (Exception e) {
            // not Linux: no figure
        }
        return -1;
    }
}
