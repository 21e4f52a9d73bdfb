package dev.engagement.query;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A dead instance is logged once per minute with a count, not once per call; it is "down" for a
 * while after a failure, until it answers again.
 */
class PeerFailuresTest {

    @Test
    void aDeadPeerLogsOncePerMinuteWithTheCountAndIsDownUntilItAnswers() {
        Logger logger = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger("peer-failures-test");
        logger.setLevel(Level.INFO);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        AtomicLong now = new AtomicLong(1_000);
        PeerFailures failures = new PeerFailures(logger, now::get);

        assertThat(failures.down("b:1")).isFalse();
        for (int i = 0; i < 2000; i++) {
            failures.failed("b:1", Set.of(1, 3), new ConnectException("Connection refused"));
            now.addAndGet(20_000_000L); // 2,000 calls over 40 s
        }
        assertThat(lines.list).hasSize(1);
        assertThat(lines.list.get(0).getLevel()).isEqualTo(Level.WARN);
        assertThat(lines.list.get(0).getFormattedMessage()).contains("instance b:1 did not answer 1 call(s)");
        assertThat(failures.down("b:1")).isTrue();
        assertThat(failures.down("c:1")).as("another instance").isFalse();

        now.addAndGet(PeerFailures.LOG_EVERY_NANOS);
        failures.failed("b:1", Set.of(1), new ConnectException("Connection refused"));
        assertThat(lines.list).hasSize(2);
        assertThat(lines.list.get(1).getFormattedMessage()).contains("did not answer 2000 call(s)");

        now.addAndGet(PeerFailures.DOWN_FOR_NANOS);
        assertThat(failures.down("b:1")).as("not down forever: tried again after a while").isFalse();
        failures.failed("b:1", Set.of(1), new ConnectException("Connection refused"));
        assertThat(failures.down("b:1")).isTrue();
        failures.succeeded("b:1");
        assertThat(failures.down("b:1")).isFalse();
        assertThat(lines.list).hasSize(3);
        assertThat(lines.list.get(2).getFormattedMessage()).contains("instance b:1 answers again (1 failed call(s)");
        failures.succeeded("b:1");
        assertThat(lines.list).as("one line when it comes back, not one per call").hasSize(3);
    }
}
