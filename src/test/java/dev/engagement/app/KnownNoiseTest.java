package dev.engagement.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Known noise is dropped one line at a time: the same logger's other warnings, and real ones, still show. */
class KnownNoiseTest {

    private static final String CONTROLLER = "org.apache.kafka.controller.QuorumController";

    private final LoggerContext context = new LoggerContext();

    private static KnownNoise filter() {
        KnownNoise noise = new KnownNoise();
        noise.addMute(CONTROLLER + "::Performing controller activation. The metadata log appears to be empty.");
        return noise;
    }

    @Test
    void dropsOnlyTheMutedLineOfTheMutedLoggerAtWarn() {
        KnownNoise noise = filter();
        String line = "[QuorumController id=0] Performing controller activation. The metadata log appears to be empty. ...";
        assertThat(noise.decide(null, context.getLogger(CONTROLLER), Level.WARN, line, null, null))
            .isEqualTo(FilterReply.DENY);
        assertThat(noise.decide(null, context.getLogger(CONTROLLER), Level.WARN, "Controller lost its quorum", null, null))
            .as("another warning of the same logger").isEqualTo(FilterReply.NEUTRAL);
        assertThat(noise.decide(null, context.getLogger("org.apache.kafka.clients.NetworkClient"), Level.WARN, line,
            null, null)).as("the same text from another logger").isEqualTo(FilterReply.NEUTRAL);
        assertThat(noise.decide(null, context.getLogger(CONTROLLER), Level.ERROR, line, null, null))
            .as("only WARN is ever dropped").isEqualTo(FilterReply.NEUTRAL);
        assertThat(noise.decide(null, context.getLogger(CONTROLLER), Level.WARN,
            "Connection to node -1 (localhost/127.0.0.1:1) could not be established.", null, null))
            .isEqualTo(FilterReply.NEUTRAL);
    }

    @Test
    void theOsTempStateDirWarningIsDroppedOnlyForThrowawayDirectories(@TempDir Path throwaway, @TempDir Path kept) {
        KnownNoise noise = filter();
        KnownNoise.throwaway(throwaway);
        String prefix = KnownNoise.OS_TEMP_WARNING + " property can cause failures ... Resolved state.dir: [";
        assertThat(noise.noise(KnownNoise.STATE_DIRECTORY_LOGGER, prefix + throwaway.resolve("state") + "]")).isTrue();
        assertThat(noise.noise(KnownNoise.STATE_DIRECTORY_LOGGER, prefix + kept.resolve("state") + "]"))
            .as("a user's state.dir in the temp dir still warns").isFalse();
        assertThat(noise.noise(KnownNoise.STATE_DIRECTORY_LOGGER, "Failed to delete " + throwaway)).isFalse();
    }

    @Test
    void aRuleWithoutLoggerAndTextIsAnError() {
        assertThatThrownBy(() -> new KnownNoise().addMute("just text")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("LOGGER::TEXT");
        assertThatThrownBy(() -> new KnownNoise().addMute(CONTROLLER + "::")).isInstanceOf(IllegalArgumentException.class);
    }
}
