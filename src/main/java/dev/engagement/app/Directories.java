package dev.engagement.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Whole-directory helpers: the state directory's size, and removing temporary directories. */
public final class Directories {

    private Directories() {
    }

    /**
     * The bytes of every regular file under {@code dir}. Files that vanish during the walk (RocksDB
     * compacting) may surface as an {@link java.io.UncheckedIOException}.
     */
    public static long size(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** Deletes {@code dir} and everything under it, if it exists; best effort per file. */
    public static void delete(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
