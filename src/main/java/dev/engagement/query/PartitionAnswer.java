package dev.engagement.query;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One partition's part of an answer: for each (group, day) of the days read, the union of the
 * matching sketches, as canonical bytes.
 *
 * @param partition     the partition
 * @param closedThrough its last closed day, or -1
 * @param firstDay      its first day with data, or -1
 * @param unions        per group (values in groupBy order) and day, the union's bytes
 * @param standby       read from a store that does not see the live sketches (a standby replica, or
 *                      an active task still restoring): as of the last commit, not of now
 * @param notRecorded   per day read, the dimensions of the query that some of the day's sketches
 *                      were written without (days where all were recorded are absent)
 */
public record PartitionAnswer(int partition, int closedThrough, int firstDay, Map<GroupDay, byte[]> unions,
                              boolean standby, Map<Integer, Set<String>> notRecorded) {

    /** A partition's answer in which every day recorded every dimension the query uses. */
    public PartitionAnswer(int partition, int closedThrough, int firstDay, Map<GroupDay, byte[]> unions,
                           boolean standby) {
        this(partition, closedThrough, firstDay, unions, standby, Map.of());
    }

    /** A partition's answer read from its active task's live sketches. */
    public PartitionAnswer(int partition, int closedThrough, int firstDay, Map<GroupDay, byte[]> unions) {
        this(partition, closedThrough, firstDay, unions, false);
    }

    /**
     * A group and a day.
     *
     * @param group the group's values, in groupBy order (empty when not grouped)
     * @param day   days since 1970-01-01
     */
    public record GroupDay(List<String> group, int day) implements Comparable<GroupDay> {
        @Override
        public int compareTo(GroupDay o) {
            int c = compareGroups(group, o.group);
            return c != 0 ? c : Integer.compare(day, o.day);
        }

        /** Groups in value order, value by value; a shorter group first when one is a prefix. */
        static int compareGroups(List<String> a, List<String> b) {
            for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
                int c = a.get(i).compareTo(b.get(i));
                if (c != 0) {
                    return c;
                }
            }
            return Integer.compare(a.size(), b.size());
        }
    }
}
