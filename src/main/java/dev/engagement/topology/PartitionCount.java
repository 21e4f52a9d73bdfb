package dev.engagement.topology;

/**
 * How many partitions the pings topic has. It can grow while the application runs (partitions
 * added by an operator): a downstream record may be marked {@code final} only once every
 * partition, new ones included, has passed the day's grace.
 */
public interface PartitionCount {

    /** The count as last seen: cheap, for every use. */
    int current();

    /**
     * The count as it is now, asked of the cluster (or, when it cannot answer, as last seen): the
     * merger asks before it makes a day final.
     */
    int refreshed();

    /** A count that never changes (tests, benchmarks, a topology built for one partition count). */
    static PartitionCount fixed(int partitions) {
        return new PartitionCount() {
            @Override
            public int current() {
                return partitions;
            }

            @Override
            public int refreshed() {
                return partitions;
            }
        };
    }
}
