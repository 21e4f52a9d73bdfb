package dev.engagement.testing;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The settings an integration test starts an instance with: the test's broker, its own topics named
 * after the application id, dimensions {@code channel,os} and a 300 ms commit interval. Tests add or
 * override what they exercise.
 */
public final class TestConfigs {

    private TestConfigs() {
    }

    /** An instance of application {@code app}, on topics of {@code partitions} partitions (0: the default). */
    public static Map<String, String> instance(String bootstrap, String app, Path stateDir, int partitions) {
        Map<String, String> p = new HashMap<>();
        p.put("bootstrap.servers", bootstrap);
        p.put("application.id", app);
        p.put("state.dir", stateDir.toString());
        p.put("commit.interval.ms", "300");
        p.put("engagement.dimensions", "channel,os");
        for (String topic : new String[] {"pings", "dead-letter", "late", "sketches", "partials"}) {
            p.put("engagement.topic." + topic, app + "-" + topic);
        }
        if (partitions > 0) {
            p.put("engagement.topic.partitions", Integer.toString(partitions));
        }
        return p;
    }

    /**
     * One of several instances of {@code app} that answer for each other: {@link #instance} plus its
     * HTTP address ({@code application.server}, on 127.0.0.1), a standby replica of every task, and a
     * 6 s session so that a killed one is noticed quickly. As properties, for {@code run}'s file too.
     */
    public static Properties peer(String bootstrap, String app, Path stateDir, int partitions, int port) {
        Properties p = new Properties();
        p.putAll(instance(bootstrap, app, stateDir, partitions));
        p.setProperty("application.server", "127.0.0.1:" + port);
        p.setProperty("engagement.http.port", Integer.toString(port));
        p.setProperty("num.standby.replicas", "1");
        p.setProperty("session.timeout.ms", "6000");
        p.setProperty("heartbeat.interval.ms", "1000");
        return p;
    }
}
