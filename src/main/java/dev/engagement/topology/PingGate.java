package dev.engagement.topology;

import dev.engagement.avro.Ping;
import dev.engagement.ping.Days;
import dev.engagement.ping.PingRules;
import dev.engagement.ping.Rejection;
import dev.engagement.registry.PingDecoder;

import java.time.Duration;

/**
 * What stands between a record on the pings topic and the fold: decodes the record, checks the
 * ping against {@link PingRules}, and applies the grace rule. Every record gets exactly one
 * {@link Verdict}: accepted (with its activity day), dead-lettered (with the reason), or late.
 * Pure apart from the decoder's schema lookups: no Kafka Streams, no state.
 */
final class PingGate {

    /** The outcome for one record. */
    sealed interface Verdict permits Accepted, DeadLetter, Late {
    }

    /** A ping to fold into the sketch of its {@code day}. */
    record Accepted(Ping ping, int day) implements Verdict {
    }

    /**
     * A record that is no valid ping: it goes to the dead-letter topic.
     *
     * @param detail what was wrong, for the record's headers; null when the reason says it all
     */
    record DeadLetter(Rejection reason, String detail) implements Verdict {
    }

    /** A valid ping for a day already past grace at {@code streamTime}: it goes to the late topic. */
    record Late(int day, long streamTime) implements Verdict {
    }

    private final PingDecoder decoder;
    private final PingRules rules;
    private final long graceMillis;

    PingGate(PingDecoder decoder, PingRules rules, Duration grace) {
        this.decoder = decoder;
        this.rules = rules;
        this.graceMillis = grace.toMillis();
    }

    /**
     * The verdict for a record.
     *
     * @param value           the record's value (Confluent wire format)
     * @param recordTimestamp the timestamp the timestamp extractor gave it: the ping's submission
     *                        time, or stream time when that was implausible
     * @param streamTime      the task's stream time
     */
    Verdict check(byte[] value, long recordTimestamp, long streamTime) {
        Ping ping;
        try {
            ping = decoder.decode(value);
        } catch (PingDecoder.RejectedException e) {
            return new DeadLetter(e.rejection(), e.getMessage());
        }
        if (recordTimestamp != ping.getSubmissionTimestamp().toEpochMilli()) {
            // The timestamp extractor found submission_timestamp implausible and kept stream time.
            return new DeadLetter(Rejection.INVALID_SUBMISSION_TIMESTAMP,
                "submission_timestamp " + ping.getSubmissionTimestamp() + " is not plausible for this record");
        }
        Rejection rejection = rules.check(ping, -1);
        if (rejection != null) {
            return new DeadLetter(rejection, null);
        }
        int day = PingRules.activityDay(ping);
        if (Days.endMillis(day) + graceMillis <= streamTime) {
            return new Late(day, streamTime);
        }
        return new Accepted(ping, day);
    }
}
