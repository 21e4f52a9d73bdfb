package dev.engagement.topology;

import dev.engagement.avro.Ping;
import dev.engagement.ping.Days;
import dev.engagement.ping.PingRules;
import dev.engagement.ping.Rejection;
import dev.engagement.registry.EmbeddedSchemaRegistry;
import dev.engagement.registry.PingDecoder;
import dev.engagement.testing.Pings;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

/** The gate alone, without Kafka Streams: one verdict per record, and the grace rule's edge. */
class PingGateTest {

    private static final LocalDate DAY = LocalDate.of(2026, 10, 1);
    private static final Instant NOON = DAY.atStartOfDay().toInstant(ZoneOffset.UTC).plus(Duration.ofHours(12));
    private static final Duration GRACE = Duration.ofHours(6);

    private final EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry();
    private final Pings pings = new Pings(registry, "pings");
    private final PingGate gate = new PingGate(new PingDecoder(registry), new PingRules(Duration.ofDays(2)), GRACE);

    @Test
    void aValidPingIsAcceptedForItsActivityDay() {
        // Submitted at 03:00 the next day, within the day's grace: the activity date decides the day.
        Instant submitted = NOON.plus(Duration.ofHours(15));
        Ping ping = Pings.ping("client-1", submitted, DAY, "release", "Linux");
        PingGate.Verdict verdict = gate.check(pings.bytes(ping), submitted.toEpochMilli(), submitted.toEpochMilli());
        assertThat(verdict).isInstanceOf(PingGate.Accepted.class);
        PingGate.Accepted accepted = (PingGate.Accepted) verdict;
        assertThat(accepted.ping().getClientId()).isEqualTo("client-1");
        assertThat(accepted.day()).isEqualTo(Days.of(DAY));
    }

    @Test
    void bytesThatAreNoPingAreDeadLetteredWithTheDecodersReason() {
        assertThat(gate.check(new byte[] {1, 2}, 0, 0)).isEqualTo(new PingGate.DeadLetter(Rejection.MALFORMED_RECORD,
            ((PingGate.DeadLetter) gate.check(new byte[] {1, 2}, 0, 0)).detail()));
        PingGate.Verdict wrongMagic = gate.check(new byte[] {9, 0, 0, 0, 1, 2}, 0, 0);
        assertThat(((PingGate.DeadLetter) wrongMagic).reason()).isEqualTo(Rejection.WRONG_MAGIC_BYTE);
        assertThat(((PingGate.DeadLetter) wrongMagic).detail()).isNotBlank();
    }

    @Test
    void aRecordWhoseTimestampIsNotItsSubmissionTimeIsDeadLettered() {
        // The timestamp extractor kept stream time because submission_timestamp was implausible.
        Ping ping = Pings.ping("client-1", NOON, DAY, "release", "Linux");
        PingGate.Verdict verdict = gate.check(pings.bytes(ping), NOON.toEpochMilli() - 1, NOON.toEpochMilli());
        assertThat(verdict).isInstanceOf(PingGate.DeadLetter.class);
        assertThat(((PingGate.DeadLetter) verdict).reason()).isEqualTo(Rejection.INVALID_SUBMISSION_TIMESTAMP);
        assertThat(((PingGate.DeadLetter) verdict).detail()).contains(NOON.toString());
    }

    @Test
    void aPingBreakingARuleIsDeadLetteredWithTheRule() {
        Ping future = Pings.ping("client-1", NOON, DAY.plusDays(2), "release", "Linux");
        assertThat(gate.check(pings.bytes(future), NOON.toEpochMilli(), NOON.toEpochMilli()))
            .isEqualTo(new PingGate.DeadLetter(Rejection.FUTURE_ACTIVITY_DATE, null));
        Ping unnamed = Pings.ping("", NOON, DAY, "release", "Linux");
        assertThat(gate.check(pings.bytes(unnamed), NOON.toEpochMilli(), NOON.toEpochMilli()))
            .isEqualTo(new PingGate.DeadLetter(Rejection.MISSING_CLIENT_ID, null));
    }

    @Test
    void aDayIsLateExactlyOnceStreamTimeReachesItsEndPlusGrace() {
        Ping ping = Pings.ping("client-1", NOON, DAY, "release", "Linux");
        long closes = Days.endMillis(Days.of(DAY)) + GRACE.toMillis();
        assertThat(gate.check(pings.bytes(ping), NOON.toEpochMilli(), closes - 1)).isInstanceOf(PingGate.Accepted.class);
        assertThat(gate.check(pings.bytes(ping), NOON.toEpochMilli(), closes))
            .isEqualTo(new PingGate.Late(Days.of(DAY), closes));
    }
}
