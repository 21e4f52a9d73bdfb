package dev.engagement.cli;

import dev.engagement.config.ConfigException;
import dev.engagement.config.EngagementConfig;
import dev.engagement.config.Watch;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Loads a properties file and applies environment overrides: {@code ENGAGEMENT_BOOTSTRAP_SERVERS}
 * sets {@code bootstrap.servers}; {@code ENGAGEMENT_HTTP_PORT} sets {@code engagement.http.port}
 * (an Engagement key, since one exists); a double underscore stands for a dash
 * ({@code ENGAGEMENT_SCHEMA__REGISTRY_URL} sets {@code engagement.schema-registry.url});
 * {@code ENGAGEMENT_WATCH_<NAME>} sets {@code engagement.watch.<name>}, the name lower-cased with its
 * underscores kept ({@code __} is a dash there too). A variable
 * that maps to neither an Engagement setting nor a Kafka setting is an error, to catch typos.
 */
final class ConfigFiles {

    static final String ENV_PREFIX = "ENGAGEMENT_";
    /** After {@link #ENV_PREFIX}, lower-cased: a watched segment, {@code engagement.watch.<name>}. */
    private static final String WATCH_ENV = "watch_";

    private ConfigFiles() {
    }

    static Properties load(Path file, Map<String, String> env) {
        Properties props = new Properties();
        if (file != null) {
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                props.load(reader);
            } catch (IOException e) {
                throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
            }
        }
        env.forEach((name, value) -> {
            if (name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length() && !NOT_CONFIG.contains(name)) {
                String key = keyOf(name);
                if (!key.startsWith(EngagementConfig.PREFIX) && !isKafkaKey(key)) {
                    throw new ConfigException("environment variable " + name + " maps to '" + key
                        + "', which is neither an Engagement setting nor a Kafka client or Streams setting");
                }
                props.setProperty(key, value);
            }
        });
        return props;
    }

    /** ENGAGEMENT_* variables that are not configuration (read by the logging set-up). */
    static final java.util.Set<String> NOT_CONFIG = java.util.Set.of("ENGAGEMENT_LOG_LEVEL");

    private static final java.util.List<String> KAFKA_PREFIXES = java.util.List.of("consumer.", "producer.", "admin.",
        "main.consumer.", "restore.consumer.", "global.consumer.", "topic.");

    /** Whether a key is a Kafka Streams, consumer, producer or admin setting (possibly with its Streams prefix). */
    static boolean isKafkaKey(String key) {
        String bare = key;
        for (String prefix : KAFKA_PREFIXES) {
            if (key.startsWith(prefix)) {
                bare = key.substring(prefix.length());
                break;
            }
        }
        return org.apache.kafka.streams.StreamsConfig.configDef().names().contains(bare)
            || org.apache.kafka.clients.consumer.ConsumerConfig.configNames().contains(bare)
            || org.apache.kafka.clients.producer.ProducerConfig.configNames().contains(bare)
            || org.apache.kafka.clients.admin.AdminClientConfig.configNames().contains(bare);
    }

    static String keyOf(String envName) {
        String rest = envName.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT);
        if (rest.startsWith(WATCH_ENV)) {
            // A watch's name keeps its underscores (ENGAGEMENT_WATCH_RELEASE_LINUX: engagement.watch.release_linux).
            return Watch.PREFIX + rest.substring(WATCH_ENV.length()).replace("__", "-");
        }
        String key = rest.replace("__", "-").replace('_', '.');
        String ours = EngagementConfig.PREFIX + key;
        if (EngagementConfig.KEYS.containsKey(ours) || key.startsWith("dimension.")) {
            return ours;
        }
        return key;
    }
}
