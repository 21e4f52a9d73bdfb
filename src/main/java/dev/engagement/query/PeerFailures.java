package dev.engagement.query;

import org.slf4j.Logger;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Failed calls to other instances, per instance: logged once per instance per minute with how many
 * failed since the last line (a dead instance used to log a WARN per call, ~2,000 lines before the
 * group noticed), and remembered for a while so that the fan-out tries a failing instance last and
 * readiness does not count on it.
 */
final class PeerFailures {

    /** At most one line per instance this often. */
    static final long LOG_EVERY_NANOS = 60_000_000_000L;
    /** An instance that failed this recently, with no success since, is taken as down. */
    static final long DOWN_FOR_NANOS = 10_000_000_000L;

    private final Logger log;
    private final LongSupplier nanoTime;
    private final Map<String, State> peers = new ConcurrentHashMap<>();

    PeerFailures(Logger log, LongSupplier nanoTime) {
        this.log = log;
        this.nanoTime = nanoTime;
    }

    private static final class State {
        long lastFailure;
        boolean failing;
        long lastLog;
        boolean logged;
        long unlogged;
    }

    /** A call to {@code host} failed: counted, and logged if this host's last line is a minute old. */
    void failed(String host, Object partitions, Exception error) {
        long now = nanoTime.getAsLong();
        State s = peers.computeIfAbsent(host, h -> new State());
        long count;
        synchronized (s) {
            s.lastFailure = now;
            s.failing = true;
            s.unlogged++;
            if (s.logged && now - s.lastLog < LOG_EVERY_NANOS) {
                return;
            }
            s.logged = true;
            s.lastLog = now;
            count = s.unlogged;
            s.unlogged = 0;
        }
        log.warn("instance {} did not answer {} call(s) since its last warning (at most one a minute; last: partitions {}, {}); its partitions"
            + " are read from standbys where there are", host, count, partitions, error.toString());
    }

    /** A call to {@code host} succeeded. */
    void succeeded(String host) {
        State s = peers.get(host);
        if (s == null) {
            return;
        }
        long unlogged;
        synchronized (s) {
            if (!s.failing) {
                return;
            }
            s.failing = false;
            unlogged = s.unlogged;
            s.unlogged = 0;
        }
        log.info("instance {} answers again ({} failed call(s) since the last warning)", host, unlogged);
    }

    /** Whether {@code host} failed within {@link #DOWN_FOR_NANOS} and has not answered since. */
    boolean down(String host) {
        State s = peers.get(host);
        if (s == null) {
            return false;
        }
        synchronized (s) {
            return s.failing && nanoTime.getAsLong() - s.lastFailure < DOWN_FOR_NANOS;
        }
    }
}
