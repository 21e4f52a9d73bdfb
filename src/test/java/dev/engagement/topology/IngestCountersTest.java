package dev.engagement.topology;

import dev.engagement.ping.Rejection;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The newest ping accepted, and the newest seen (late ones included), beside the counts since start. */
class IngestCountersTest {

    @Test
    void lastSeenIncludesLatePingsAndLastIngestedDoesNot() {
        Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        IngestCounters c = new IngestCounters();
        assertThat(c.since()).isBetween(before, Instant.now());
        assertThat(c.lastSubmissionTimestamp()).isEqualTo(-1);
        assertThat(c.lastSeenTimestamp()).isEqualTo(-1);

        c.recordAccepted(1_000);
        c.recordLate(500);
        assertThat(c.lastSubmissionTimestamp()).isEqualTo(1_000);
        assertThat(c.lastSeenTimestamp()).isEqualTo(1_000);

        // A replay that ends in late pings newer than the last accepted one.
        c.recordLate(3_000);
        c.recordDeadLettered(Rejection.MALFORMED_AVRO);
        assertThat(c.lastSubmissionTimestamp()).isEqualTo(1_000);
        assertThat(c.lastSeenTimestamp()).isEqualTo(3_000);
        assertThat(c.total()).isEqualTo(4);
        assertThat(c.late()).isEqualTo(2);
    }
}
