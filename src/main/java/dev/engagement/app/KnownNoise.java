package dev.engagement.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Drops Kafka's known, meaningless WARN lines, one line at a time (a logger name and a piece of the
 * message's literal text), so that every other line of the same logger still shows. Used where
 * no setting removes the cause; see {@code logback.xml} (and {@code logback-test.xml}) for the list
 * and why each line is noise.
 *
 * <p>Contract:
 * <ul>
 *   <li>only WARN events are ever dropped, and only when both the logger name and the text match;</li>
 *   <li>{@code <mute>LOGGER::TEXT</mute>} in the logback configuration adds a rule (repeatable);</li>
 *   <li>built in: Kafka Streams' "Using an OS temp directory in the state.dir" warning is dropped only
 *       for state directories registered with {@link #throwaway(Path)} (the demo's temporary
 *       directory, the bench's), which are deleted on exit, so the OS cleaning the temp directory
 *       under a long run is no concern; a user's {@code state.dir} under the temp directory still
 *       warns.</li>
 * </ul>
 */
public final class KnownNoise extends TurboFilter {

    static final String STATE_DIRECTORY_LOGGER = "org.apache.kafka.streams.processor.internals.StateDirectory";
    static final String OS_TEMP_WARNING = "Using an OS temp directory in the state.dir";

    private static final Set<String> THROWAWAY = ConcurrentHashMap.newKeySet();

    private final List<String[]> rules = new ArrayList<>();

    /** Registers a directory deleted on exit: Kafka's OS-temp warning for state dirs under it is noise. */
    public static void throwaway(Path dir) {
        THROWAWAY.add(dir.toAbsolutePath().normalize().toString());
    }

    /**
     * Adds a rule, {@code LOGGER::TEXT} (called by logback for each {@code <mute>} element).
     *
     * @throws IllegalArgumentException when the rule has no {@code ::}
     */
    public void addMute(String rule) {
        int at = rule.indexOf("::");
        if (at <= 0 || at + 2 >= rule.length()) {
            throw new IllegalArgumentException("KnownNoise rule '" + rule + "': expected LOGGER::TEXT");
        }
        rules.add(new String[] {rule.substring(0, at).trim(), rule.substring(at + 2).trim()});
    }

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (level != Level.WARN || format == null) {
            return FilterReply.NEUTRAL;
        }
        return noise(logger.getName(), format) ? FilterReply.DENY : FilterReply.NEUTRAL;
    }

    /** Whether a WARN line of {@code loggerName} with this message text is known noise. */
    boolean noise(String loggerName, String message) {
        for (String[] rule : rules) {
            if (rule[0].equals(loggerName) && message.contains(rule[1])) {
                return true;
            }
        }
        if (STATE_DIRECTORY_LOGGER.equals(loggerName) && message.contains(OS_TEMP_WARNING)) {
            for (String dir : THROWAWAY) {
                if (message.contains(dir)) {
                    return true;
                }
            }
        }
        return false;
    }
}
