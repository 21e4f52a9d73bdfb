package dev.engagement.query;

/**
 * Read access to one partition's sketch store, as the query layer needs it.
 */
public interface PartitionReader {

    /** Receives one stored (segment, day) sketch. */
    @FunctionalInterface
    interface Visitor {
        void visit(byte[] key, byte[] sketch);
    }

    /** The partition read. */
    int partition();

    /**
     * Visits every stored (segment, day) of days {@code fromDay..toDay} (inclusive) in key order.
     * Implementations close whatever iterator they open.
     */
    void scan(int fromDay, int toDay, Visitor visitor);

    /** The last day that has passed grace in this partition (never changes again), or -1. */
    int closedThrough();

    /** The first day with data in this partition, or -1 when it holds none. */
    int firstDay();
}
