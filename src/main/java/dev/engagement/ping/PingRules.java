package dev.engagement.ping;

import dev.engagement.avro.Ping;

import java.time.Duration;
import java.time.LocalDate;

/**
 * Validation of a decoded ping and the day it counts for.
 *
 * <p>The activity day is {@code activity_date}, or the UTC day of {@code submission_timestamp}
 * when absent. It is implausible when it is more than one day after the submission day (clock
 * skew) or more than the lateness window before it. Grace (is the day still open?) is not decided
 * here: it depends on stream time, which only the topology knows.
 */
public final class PingRules {

    /** Longest accepted client id, in characters. */
    public static final int MAX_CLIENT_ID_LENGTH = 128;
    /** 2000-01-01T00:00:00Z. */
    static final long MIN_SUBMISSION_MILLIS = 946_684_800_000L;
    /** 2200-01-01T00:00:00Z. */
    static final long MAX_SUBMISSION_MILLIS = 7_258_118_400_000L;

    private final int latenessDays;

    /**
     * @param latenessWindow how far before its submission day an activity date may be; whole days
     */
    public PingRules(Duration latenessWindow) {
        if (latenessWindow.isNegative()) {
            throw new IllegalArgumentException("lateness window must not be negative: " + latenessWindow);
        }
        this.latenessDays = Math.toIntExact(latenessWindow.toDays());
    }

    /**
     * @param recordTimestamp the Kafka record's timestamp, or -1 if unknown
     * @return null when the ping is valid, else why it is not
     */
    public Rejection check(Ping ping, long recordTimestamp) {
        Rejection idProblem = checkClientId(ping.getClientId());
        if (idProblem != null) {
            return idProblem;
        }
        if (ping.getSubmissionTimestamp() == null) {
            return Rejection.INVALID_SUBMISSION_TIMESTAMP;
        }
        long submitted = ping.getSubmissionTimestamp().toEpochMilli();
        if (!isPlausibleSubmission(submitted, recordTimestamp)) {
            return Rejection.INVALID_SUBMISSION_TIMESTAMP;
        }
        int submissionDay = Days.ofMillis(submitted);
        int day = activityDay(ping);
        if (day > submissionDay + 1) {
            return Rejection.FUTURE_ACTIVITY_DATE;
        }
        if (day < submissionDay - latenessDays) {
            return Rejection.STALE_ACTIVITY_DATE;
        }
        return null;
    }

    /**
     * Whether a submission timestamp may drive stream time: within 2000..2200, and at most one day
     * after the Kafka record's own timestamp (a client cannot report a server time in the future).
     */
    public static boolean isPlausibleSubmission(long submissionMillis, long recordTimestamp) {
        return submissionMillis >= MIN_SUBMISSION_MILLIS && submissionMillis < MAX_SUBMISSION_MILLIS
            && (recordTimestamp < 0 || submissionMillis <= recordTimestamp + Days.MILLIS);
    }

    /** The day a valid ping counts for. */
    public static int activityDay(Ping ping) {
        LocalDate date = ping.getActivityDate();
        return date != null ? Math.toIntExact(date.toEpochDay()) : Days.ofMillis(ping.getSubmissionTimestamp().toEpochMilli());
    }

    static Rejection checkClientId(String id) {
        if (id == null || id.isEmpty()) {
            return Rejection.MISSING_CLIENT_ID;
        }
        if (id.length() > MAX_CLIENT_ID_LENGTH) {
            return Rejection.OVERSIZED_CLIENT_ID;
        }
        for (int i = 0; i < id.length(); i++) {
            if (Character.isISOControl(id.charAt(i))) {
                return Rejection.INVALID_CLIENT_ID;
            }
        }
        return null;
    }
}
