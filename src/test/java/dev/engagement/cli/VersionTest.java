package dev.engagement.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** One version string: the pom's, printed by --version, on top of the CHANGELOG, tagging the images. */
class VersionTest {

    /** The project's own version in pom.xml (the first {@code <version>} at two spaces' indent). */
    static String pomVersion() {
        try {
            Matcher m = Pattern.compile("(?m)^  <version>([^<]+)</version>").matcher(Files.readString(Path.of("pom.xml")));
            assertThat(m.find()).as("pom.xml's <version>").isTrue();
            return m.group(1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void versionPrintsThePomsVersion() {
        PrintStream out = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            assertThat(Main.execute("--version")).isZero();
        } finally {
            System.setOut(out);
        }
        assertThat(printed.toString(StandardCharsets.UTF_8).strip()).isEqualTo("engagement " + pomVersion());
        assertThat(Main.version()).isEqualTo(pomVersion()).doesNotContain("${");
    }

    @Test
    void theChangelogsNewestEntryAndTheImageTagsAreThePomsVersion() throws IOException {
        Matcher entry = Pattern.compile("(?m)^## \\[?([^\\]\\s]+)").matcher(Files.readString(Path.of("CHANGELOG.md")));
        assertThat(entry.find()).as("a '## VERSION' entry in CHANGELOG.md").isTrue();
        assertThat(entry.group(1)).isEqualTo(pomVersion());
        assertThat(Files.readString(Path.of("docker-compose.yml"))).contains("image: engagement:" + pomVersion());
        assertThat(Files.readString(Path.of("LICENSE"))).contains("Apache License").contains("Version 2.0, January 2004");
    }
}
