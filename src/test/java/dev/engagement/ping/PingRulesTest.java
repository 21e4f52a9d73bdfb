package dev.engagement.ping;

import dev.engagement.avro.Ping;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PingRulesTest {

    private static final LocalDate DAY = LocalDate.of(2026, 3, 10);
    private static final Instant NOON = Instant.parse("2026-03-10T12:00:00Z");
    private static final PingRules RULES = new PingRules(Duration.ofDays(28));

    private static Ping ping(String clientId, Instant submitted, LocalDate activity) {
        // Not the builder: it refuses the nulls some tests need.
        Ping ping = new Ping(clientId, NOON, activity, "Firefox", "release", "Linux", null, "DE", null, "128.0", Map.of());
        ping.put(1, submitted); // the generic setter, which allows null
        return ping;
    }

    private static Ping ping(LocalDate activity) {
        return ping("c0ffee00-0000-4000-8000-000000000001", NOON, activity);
    }

    @Test
    void acceptsAPlainPing() {
        assertThat(RULES.check(ping(DAY), NOON.toEpochMilli())).isNull();
        assertThat(RULES.check(ping(null), -1)).isNull();
    }

    @Test
    void clientIdChecks() {
        assertThat(RULES.check(ping(null, NOON, DAY), -1)).isEqualTo(Rejection.MISSING_CLIENT_ID);
        assertThat(RULES.check(ping("", NOON, DAY), -1)).isEqualTo(Rejection.MISSING_CLIENT_ID);
        assertThat(RULES.check(ping("x", NOON, DAY), -1)).isNull();
        assertThat(RULES.check(ping("a".repeat(128), NOON, DAY), -1)).isNull();
        assertThat(RULES.check(ping("a".repeat(129), NOON, DAY), -1)).isEqualTo(Rejection.OVERSIZED_CLIENT_ID);
        for (String bad : new String[] {"abc\u0000", "\tabc", "ab\ncd", "ab\rcd", "x\u001f", "x\u007f", "x\u0085", "x\u009f"}) {
            assertThat(RULES.check(ping(bad, NOON, DAY), -1)).as("%s", bad.codePoints().boxed().toList())
                .isEqualTo(Rejection.INVALID_CLIENT_ID);
        }
        // Non-ASCII printable characters are fine.
        assertThat(RULES.check(ping("client-é-日本-🦊", NOON, DAY), -1)).isNull();
        assertThat(RULES.check(ping(" spaced id ", NOON, DAY), -1)).isNull();
    }

    @Test
    void clientIdIsCheckedFirst() {
        // Both the id and the dates are bad: the id is reported.
        assertThat(RULES.check(ping("", null, DAY.plusDays(10)), -1)).isEqualTo(Rejection.MISSING_CLIENT_ID);
        assertThat(RULES.check(ping("a".repeat(200), NOON, DAY.plusDays(10)), -1)).isEqualTo(Rejection.OVERSIZED_CLIENT_ID);
    }

    @Test
    void futureActivityDate() {
        assertThat(RULES.check(ping(DAY.plusDays(1)), -1)).isNull();
        assertThat(RULES.check(ping(DAY.plusDays(2)), -1)).isEqualTo(Rejection.FUTURE_ACTIVITY_DATE);
        assertThat(RULES.check(ping(DAY.plusYears(1)), -1)).isEqualTo(Rejection.FUTURE_ACTIVITY_DATE);
        // Judged against the submission day, not its time: at 23:59:59.999 tomorrow is still fine.
        Instant lastMilli = Instant.parse("2026-03-10T23:59:59.999Z");
        assertThat(RULES.check(ping("id", lastMilli, DAY.plusDays(1)), -1)).isNull();
        assertThat(RULES.check(ping("id", lastMilli, DAY.plusDays(2)), -1)).isEqualTo(Rejection.FUTURE_ACTIVITY_DATE);
        Instant midnight = Instant.parse("2026-03-10T00:00:00Z");
        assertThat(RULES.check(ping("id", midnight, DAY.plusDays(2)), -1)).isEqualTo(Rejection.FUTURE_ACTIVITY_DATE);
    }

    @Test
    void staleActivityDate() {
        assertThat(RULES.check(ping(DAY), -1)).isNull();
        assertThat(RULES.check(ping(DAY.minusDays(28)), -1)).isNull();
        assertThat(RULES.check(ping(DAY.minusDays(29)), -1)).isEqualTo(Rejection.STALE_ACTIVITY_DATE);
        assertThat(RULES.check(ping(LocalDate.of(1999, 1, 1)), -1)).isEqualTo(Rejection.STALE_ACTIVITY_DATE);

        PingRules strict = new PingRules(Duration.ZERO);
        assertThat(strict.check(ping(DAY), -1)).isNull();
        assertThat(strict.check(ping(DAY.minusDays(1)), -1)).isEqualTo(Rejection.STALE_ACTIVITY_DATE);
        assertThat(strict.check(ping(DAY.plusDays(1)), -1)).isNull();

        // Partial days round down.
        PingRules twoAndAHalf = new PingRules(Duration.ofHours(60));
        assertThat(twoAndAHalf.check(ping(DAY.minusDays(2)), -1)).isNull();
        assertThat(twoAndAHalf.check(ping(DAY.minusDays(3)), -1)).isEqualTo(Rejection.STALE_ACTIVITY_DATE);

        assertThatThrownBy(() -> new PingRules(Duration.ofDays(-1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void activityDayDefaultsToTheUtcDayOfSubmission() {
        int day = Days.of(DAY);
        assertThat(PingRules.activityDay(ping("id", Instant.parse("2026-03-10T00:00:00Z"), null))).isEqualTo(day);
        assertThat(PingRules.activityDay(ping("id", Instant.parse("2026-03-10T23:59:59.999Z"), null))).isEqualTo(day);
        assertThat(PingRules.activityDay(ping("id", Instant.parse("2026-03-11T00:00:00Z"), null))).isEqualTo(day + 1);
        // Not the local day of some other zone: 01:00 in Berlin is the previous UTC day.
        assertThat(PingRules.activityDay(ping("id", Instant.parse("2026-03-10T00:30:00+01:00"), null))).isEqualTo(day - 1);
        // An explicit activity date wins.
        assertThat(PingRules.activityDay(ping("id", NOON, DAY.minusDays(5)))).isEqualTo(day - 5);
    }

    @Test
    void submissionTimestampChecks() {
        assertThat(RULES.check(ping("id", null, null), -1)).isEqualTo(Rejection.INVALID_SUBMISSION_TIMESTAMP);
        assertThat(RULES.check(ping("id", Instant.parse("1999-12-31T23:59:59.999Z"), null), -1))
            .isEqualTo(Rejection.INVALID_SUBMISSION_TIMESTAMP);
        assertThat(RULES.check(ping("id", Instant.parse("2000-01-01T00:00:00Z"), null), -1)).isNull();
        assertThat(RULES.check(ping("id", Instant.parse("2200-01-01T00:00:00Z"), null), -1))
            .isEqualTo(Rejection.INVALID_SUBMISSION_TIMESTAMP);
        // More than a day after the record's own timestamp.
        long record = NOON.toEpochMilli();
        assertThat(RULES.check(ping("id", NOON.plus(Duration.ofDays(1)), null), record)).isNull();
        assertThat(RULES.check(ping("id", NOON.plus(Duration.ofDays(1)).plusMillis(1), null), record))
            .isEqualTo(Rejection.INVALID_SUBMISSION_TIMESTAMP);
    }

    @Test
    void isPlausibleSubmission() {
        long y2000 = Instant.parse("2000-01-01T00:00:00Z").toEpochMilli();
        long y2200 = Instant.parse("2200-01-01T00:00:00Z").toEpochMilli();
        assertThat(PingRules.isPlausibleSubmission(y2000, -1)).isTrue();
        assertThat(PingRules.isPlausibleSubmission(y2000 - 1, -1)).isFalse();
        assertThat(PingRules.isPlausibleSubmission(y2200 - 1, -1)).isTrue();
        assertThat(PingRules.isPlausibleSubmission(y2200, -1)).isFalse();
        assertThat(PingRules.isPlausibleSubmission(0, -1)).isFalse();
        assertThat(PingRules.isPlausibleSubmission(-5, -1)).isFalse();

        long now = NOON.toEpochMilli();
        assertThat(PingRules.isPlausibleSubmission(now, now)).isTrue();
        assertThat(PingRules.isPlausibleSubmission(now - Duration.ofDays(30).toMillis(), now)).isTrue();
        assertThat(PingRules.isPlausibleSubmission(now + Days.MILLIS, now)).isTrue();
        assertThat(PingRules.isPlausibleSubmission(now + Days.MILLIS + 1, now)).isFalse();
        // An unknown record timestamp does not limit it; the 2000..2200 range still does.
        assertThat(PingRules.isPlausibleSubmission(y2200 - 1, -1)).isTrue();
        assertThat(PingRules.isPlausibleSubmission(y2200 - 1, 0)).isFalse();
    }

    @Test
    void days() {
        assertThat(Days.ofMillis(0)).isZero();
        assertThat(Days.ofMillis(-1)).isEqualTo(-1);
        assertThat(Days.ofMillis(Days.MILLIS - 1)).isZero();
        int day = Days.of(DAY);
        assertThat(Days.toDate(day)).isEqualTo(DAY);
        assertThat(Days.startMillis(day)).isEqualTo(Instant.parse("2026-03-10T00:00:00Z").toEpochMilli());
        assertThat(Days.endMillis(day)).isEqualTo(Instant.parse("2026-03-11T00:00:00Z").toEpochMilli());
        // No int overflow for days past 2038 (day * MILLIS is computed in long).
        int late = Days.of(LocalDate.of(2150, 1, 1));
        assertThat(Days.startMillis(late)).isEqualTo(Instant.parse("2150-01-01T00:00:00Z").toEpochMilli());
    }
}
