package dev.engagement.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a named condition with a deadline; never sleeps-then-hopes. */
public final class Poll {

    private Poll() {
    }

    public static void until(String condition, Duration timeout, BooleanSupplier check) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (check.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                // not yet: e.g. a store migrating during a rebalance
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + condition);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + condition);
            }
        }
    }

    /** Waits until {@code read} returns the same non-null value twice in a row, {@code gap} apart. */
    public static <T> T stable(String what, Duration timeout, Duration gap, Supplier<T> read) {
        Object[] last = {null};
        long[] since = {0};
        until(what + " to settle", timeout, () -> {
            T now = read.get();
            if (now != null && now.equals(last[0])) {
                return System.nanoTime() - since[0] >= gap.toNanos();
            }
            last[0] = now;
            since[0] = System.nanoTime();
            return false;
        });
        @SuppressWarnings("unchecked")
        T result = (T) last[0];
        return result;
    }
}
