package dev.engagement.topology;

import dev.engagement.ping.Days;
import dev.engagement.store.Layouts;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Logs a change of the dimension list once per process, in one line, however many tasks adopt it.
 */
final class LayoutChanges {

    private static final Logger LOG = LoggerFactory.getLogger(LayoutChanges.class);
    private static final Set<List<List<String>>> LOGGED = ConcurrentHashMap.newKeySet();

    private LayoutChanges() {
    }

    static void log(Layouts.Change change) {
        if (LOGGED.add(List.of(change.from(), change.to()))) {
            LOG.warn("engagement.dimensions changed: {}; the list {} applies from {} (the first open day); days "
                    + "before are read under {}", change.describe(), change.to(),
                change.fromDay() < 0 ? "the first day" : Days.toDate(change.fromDay()), change.from());
        }
    }
}
