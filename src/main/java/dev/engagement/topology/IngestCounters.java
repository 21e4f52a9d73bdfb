package dev.engagement.topology;

import dev.engagement.ping.Rejection;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Pings by outcome, for this process since it started: accepted, late, and dead-lettered by reason.
 * Every ping read is counted exactly once. Thread-safe: every stream thread adds to one instance.
 */
public final class IngestCounters {

    private final LongAdder accepted = new LongAdder();
    private final LongAdder late = new LongAdder();
    private final Map<Rejection, LongAdder> deadLettered = new EnumMap<>(Rejection.class);
    private final AtomicLong lastSubmissionTimestamp = new AtomicLong(-1);

    public IngestCounters() {
        for (Rejection r : Rejection.values()) {
            deadLettered.put(r, new LongAdder());
        }
    }

    void recordAccepted(long submissionTimestamp) {
        accepted.increment();
        lastSubmissionTimestamp.accumulateAndGet(submissionTimestamp, Math::max);
    }

    void recordLate() {
        late.increment();
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
}
