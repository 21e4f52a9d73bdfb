package dev.engagement.ping;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The distinct values admitted so far for each dimension of one input partition. Past a
 * dimension's cap, new values fold into {@link Dimension#OTHER}, so one noisy field cannot
 * explode the state.
 *
 * <p>Admission is first come, first served in stream order, so a replay of the same pings admits
 * the same values; callers persist admissions ({@link Listener}) and {@link #restore} them after a
 * restart. Not thread-safe.
 */
public final class ValueCaps {

    /** Told of every newly admitted value, to persist it. */
    @FunctionalInterface
    public interface Listener {
        void admitted(Dimension dimension, String value);
    }

    private final List<Dimension> dimensions;
    private final List<Set<String>> admitted;
    private final Listener listener;

    public ValueCaps(List<Dimension> dimensions, Listener listener) {
        this.dimensions = List.copyOf(dimensions);
        this.admitted = new ArrayList<>(dimensions.size());
        for (int i = 0; i < dimensions.size(); i++) {
            admitted.add(new HashSet<>());
        }
        this.listener = listener;
    }

    /** Marks a value as admitted without telling the listener (used when reloading state). */
    public void restore(String dimension, String value) {
        for (int i = 0; i < dimensions.size(); i++) {
            if (dimensions.get(i).name().equals(dimension)) {
                admitted.get(i).add(value);
            }
        }
    }

    /**
     * The segment values of a ping, one per dimension, after placeholders and caps.
     */
    public String[] segmentOf(dev.engagement.avro.Ping ping) {
        String[] values = new String[dimensions.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = admit(i, dimensions.get(i).rawValue(ping));
        }
        return values;
    }

    private String admit(int index, String value) {
        Dimension dimension = dimensions.get(index);
        if (dimension.maxValues() == 0 || Dimension.OTHER.equals(value)) {
            return value;
        }
        Set<String> seen = admitted.get(index);
        if (seen.contains(value)) {
            return value;
        }
        if (seen.size() >= dimension.maxValues()) {
            return Dimension.OTHER;
        }
        seen.add(value);
        listener.admitted(dimension, value);
        return value;
    }

    /** How many values are admitted for a dimension. */
    public int admittedCount(String dimension) {
        for (int i = 0; i < dimensions.size(); i++) {
            if (dimensions.get(i).name().equals(dimension)) {
                return admitted.get(i).size();
            }
        }
        return 0;
    }
}
