package dev.engagement.query;

import java.util.List;
import java.util.Set;

/** Asks another instance for its partitions' part of an answer. */
public interface PeerClient {

    /**
     * @param host       the instance, as its {@code application.server} ({@code host:port})
     * @param partitions the partitions wanted from it
     * @param maxGroups  the most groups a partition's day may have
     * @return the answers of the partitions it could read (possibly fewer than asked)
     * @throws Exception when the instance cannot be reached or answers with an error
     */
    List<PartitionAnswer> fetch(String host, EngagementQuery query, Set<Integer> partitions, int maxGroups)
        throws Exception;
}
