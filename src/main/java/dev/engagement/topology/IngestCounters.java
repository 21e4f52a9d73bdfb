package dev.engagement.topology;

import dev.engagement.ping.Rejection;

import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Pings by outcome, for this process since it started ({@link #since()}): accepted, late, and
 * dead-lettered by reason, and the newest submission time accepted and seen. Every ping read is
 * counted exactly once. Nothing here survives a restart: what does is Kafka's (the group's committed
 * offsets on the pings topic). Thread-safe: every stream thread adds to one instance.
 */
public final class IngestCounters {

    private final LongAdder accepted = new LongAdder();
    private final LongAdder late = new LongAdder();
    private final Map<Rejection, LongAdder> deadLettered = new EnumMap<>(Rejection.class);
    private final AtomicLong lastSubmissionTimestamp = new AtomicLong(-1);
    private final AtomicLong lastSeenTimestamp = new AtomicLong(-1);
    private final Instant since = Instant.ofEpochMilli(System.currentTimeMillis()); // millis, as the timestamps beside it

    public IngestCounters() {
        for (Rejection r : Rejection.values()) {
            deadLettered.put(r, new LongAdder());
        }
    }

    void recordAccepted(long submissionTimestamp) {
        accepted.increment();
        lastSubmissionTimestamp.accumulateAndGet(submissionTimestamp, Math::max);
        lastSeenTimestamp.accumulateAndGet(submissionTimestamp, Math::max);
    }

    void recordLate(long submissionTimestamp) {
        late.increment();
        lastSeenTimestamp.accumulateAndGet(submissionTimestamp, Math::max);
    }

    void recordDeadLettered(Rejection reason) {
        deadLettered.get(reason).increment();
    }

    public long accepted() {
        return accepted.sum();
    }

    public long late() {
        return late.sum();
    }

    public long deadLettered(Rejection reason) {
        return deadLettered.get(reason).sum();
    }

    public long deadLetteredTotal() {
        return deadLettered.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Every ping read: accepted + late + dead-lettered. */
    public long total() {
        return accepted() + late() + deadLetteredTotal();
    }

    /** Dead-lettered counts by reason, reasons with none left out. */
    public Map<Rejection, Long> deadLetteredByReason() {
        Map<Rejection, Long> out = new EnumMap<>(Rejection.class);
        deadLettered.forEach((r, n) -> {
            if (n.sum() > 0) {
                out.put(r, n.sum());
            }
        });
        return out;
    }

    /** The largest submission_timestamp of an accepted ping, or -1. */
    public long lastSubmissionTimestamp() {
        return lastSubmissionTimestamp.get();
    }

    /**
     * The largest submission_timestamp of a valid ping read, accepted or late, or -1: newer than
     * {@link #lastSubmissionTimestamp()} when the newest pings read were late (a replay that ends
     * in late pings). Dead-lettered records have no trusted timestamp and are left out.
     */
    public long lastSeenTimestamp() {
        return lastSeenTimestamp.get();
    }

    /** When counting started: when this process's streams application was built. */
    public Instant since() {
        return since;
    }
}
