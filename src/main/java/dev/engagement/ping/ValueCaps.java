package dev.engagement.ping;

import dev.engagement.avro.Ping;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The distinct values admitted so far for each dimension of one input partition. Past a
 * dimension's cap, new values fold into {@link Dimension#OTHER}, so one noisy field cannot
 * explode the state.
 *
 * <p>Every value a dimension can take here (admitted values, {@link Dimension#OTHER}, and every
 * value of an uncapped dimension) gets a small int <em>code</em>, dense from 0 in order of first
 * sight, so that the per-ping path compares ints, not strings ({@link #code}, {@link #value}).
 * Codes live in memory only: they are not stable across restarts.
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

    /** The code of {@link Dimension#OTHER} in every dimension. */
    public static final int OTHER_CODE = 0;

    private final Dimension[] dimensions;
    private static final List<String> TOP_LEVEL =
        List.of("app_name", "channel", "os", "os_version", "country", "locale", "app_version");

    private final Function<Ping, String>[] fields;
    /** Index in {@link #TOP_LEVEL}, or -1 for an attribute. */
    private final int[] fieldIds;
    private final Map<String, Integer>[] codeMaps;
    private final List<List<String>> values;
    private final int[] admitted;
    private final Listener listener;

    @SuppressWarnings("unchecked")
    public ValueCaps(List<Dimension> dimensions, Listener listener) {
        this.dimensions = dimensions.toArray(Dimension[]::new);
        this.fields = new Function[dimensions.size()];
        this.fieldIds = new int[dimensions.size()];
        this.codeMaps = new Map[dimensions.size()];
        this.values = new ArrayList<>(dimensions.size());
        for (int i = 0; i < dimensions.size(); i++) {
            fields[i] = dimensions.get(i).field();
            fieldIds[i] = TOP_LEVEL.indexOf(dimensions.get(i).name());
            codeMaps[i] = new HashMap<>();
            values.add(new ArrayList<>());
        }
        this.admitted = new int[dimensions.size()];
        this.listener = listener;
        for (int i = 0; i < this.dimensions.length; i++) {
            intern(i, Dimension.OTHER); // OTHER_CODE
        }
    }

    /** Number of dimensions. */
    public int dimensionCount() {
        return dimensions.length;
    }

    /** Marks a value as admitted without telling the listener (used when reloading state). */
    public void restore(String dimension, String value) {
        for (int i = 0; i < dimensions.length; i++) {
            if (dimensions[i].name().equals(dimension)) {
                codeOfKnown(i, value);
            }
        }
    }

    /**
     * The code of a value already in the state (read back from a stored key): admitted without a
     * cap check and without telling the listener, since it was admitted when first seen.
     */
    public int codeOfKnown(int dimension, String value) {
        Integer code = codeMaps[dimension].get(value);
        if (code != null) {
            return code;
        }
        if (dimensions[dimension].maxValues() > 0) {
            admitted[dimension]++;
        }
        return intern(dimension, value);
    }

    /** The segment values of a ping, one per dimension, after placeholders and caps. */
    public String[] segmentOf(Ping ping) {
        String[] out = new String[dimensions.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = value(i, code(i, ping));
        }
        return out;
    }

    /** The code of dimension {@code dimension}'s value in a ping, after placeholders and the cap. */
    public int code(int dimension, Ping ping) {
        String raw = field(dimension, ping);
        Integer code = raw == null ? null : codeMaps[dimension].get(raw);
        return code != null ? code : admit(dimension, Dimension.normalize(raw));
    }

    /** Dimension {@code dimension}'s field in a ping, as is (null when missing). */
    public String field(int dimension, Ping ping) {
        return switch (fieldIds[dimension]) {
            // A switch, not a lambda per dimension: one call site that sees five lambdas is megamorphic.
            case 0 -> ping.getAppName();
            case 1 -> ping.getChannel();
            case 2 -> ping.getOs();
            case 3 -> ping.getOsVersion();
            case 4 -> ping.getCountry();
            case 5 -> ping.getLocale();
            case 6 -> ping.getAppVersion();
            default -> fields[dimension].apply(ping);
        };
    }

    /** The value of a code. */
    public String value(int dimension, int code) {
        return values.get(dimension).get(code);
    }

    private int admit(int index, String value) {
        Integer known = codeMaps[index].get(value);
        if (known != null) {
            return known; // a placeholder, or OTHER for an overlong value
        }
        Dimension dimension = dimensions[index];
        if (dimension.maxValues() > 0) {
            if (admitted[index] >= dimension.maxValues()) {
                return OTHER_CODE;
            }
            admitted[index]++;
            listener.admitted(dimension, value);
        }
        return intern(index, value);
    }

    private int intern(int index, String value) {
        List<String> list = values.get(index);
        int code = list.size();
        list.add(value);
        codeMaps[index].put(value, code);
        return code;
    }

    /** How many values are admitted for a dimension. */
    public int admittedCount(String dimension) {
        for (int i = 0; i < dimensions.length; i++) {
            if (dimensions[i].name().equals(dimension)) {
                return admitted[i];
            }
        }
        return 0;
    }
}
