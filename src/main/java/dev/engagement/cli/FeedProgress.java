package dev.engagement.cli;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * How far the demo's feed (a file replay, or the generator's backfill) got, kept in its data
 * directory so that a restart after an interruption continues it. A position is recorded only
 * after every ping before it was acknowledged by the broker, so a restart resends at most what
 * came after the last record: folding is idempotent, so the answers end the same.
 *
 * <p>Written atomically (a temporary file moved over the old one): a kill never leaves half a record.
 *
 * @param source   what is fed: {@code file:<absolute path>} or the generator's parameters
 * @param position lines of the file, or days of the backfill, done
 * @param done     the whole file, or the whole backfill, was acknowledged
 * @param now      the generator's clock at its start (epoch ms), so a resumed backfill makes the same pings
 */
record FeedProgress(String source, long position, boolean done, long now) {

    static final String FILE = "feed-progress.properties";

    /** The progress recorded in {@code dir}, or null when there is none. */
    static FeedProgress read(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file)) {
            return null;
        }
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return new FeedProgress(p.getProperty("source", ""), Long.parseLong(p.getProperty("position", "0")),
            Boolean.parseBoolean(p.getProperty("done", "false")), Long.parseLong(p.getProperty("now", "0")));
    }

    /** Records this progress in {@code dir}. */
    void write(Path dir) {
        Properties p = new Properties();
        p.setProperty("source", source);
        p.setProperty("position", Long.toString(position));
        p.setProperty("done", Boolean.toString(done));
        p.setProperty("now", Long.toString(now));
        try {
            Path temporary = Files.createTempFile(dir, FILE, ".tmp");
            try (Writer out = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
                p.store(out, "the demo's feed: how far it got (see dev.engagement.cli.FeedProgress)");
            }
            Files.move(temporary, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the feed's progress in " + dir, e);
        }
    }

    FeedProgress at(long newPosition) {
        return new FeedProgress(source, newPosition, done, now);
    }

    FeedProgress finished() {
        return new FeedProgress(source, position, true, now);
    }
}
