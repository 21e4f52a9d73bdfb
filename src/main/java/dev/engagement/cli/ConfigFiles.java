package dev.engagement.cli;

import dev.engagement.config.ConfigException;
import dev.engagement.config.EngagementConfig;
import dev.engagement.config.Watch;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Loads a properties file and applies environment overrides: {@code ENGAGEMENT_BOOTSTRAP_SERVERS}
 * sets {@code bootstrap.servers}; {@code ENGAGEMENT_HTTP_PORT} sets {@code engagement.http.port}
 * (an Engagement key, since one exists); a double underscore stands for a dash
 * ({@code ENGAGEMENT_SCHEMA__REGISTRY_URL} sets {@code engagement.schema-registry.url});
 * {@code ENGAGEMENT_WATCH_<NAME>} sets {@code engagement.watch.<name>}, the name lower-cased with its
 * underscores kept ({@code __} is a dash there too); {@code ENGAGEMENT_DIMENSION_<NAME>_MAX__VALUES}
 * sets {@code engagement.dimension.<name>.max-values}, the name lower-cased with its underscores kept
 * ({@code ATTRIBUTES_<KEY>} is {@code attributes.<key>}). A variable
 * that maps to neither an Engagement setting nor a Kafka setting is an error, to catch typos.
 */
final class ConfigFiles {

    static final String ENV_PREFIX = "ENGAGEMENT_";
    /** After {@link #ENV_PREFIX}, lower-cased: a watched segment, {@code engagement.watch.<name>}. */
    private static final String WATCH_ENV = "watch_";
    /** After {@link #ENV_PREFIX}, lower-cased: a dimension's cap, {@code engagement.dimension.<name>.max-values}. */
    private static final String DIMENSION_ENV = "dimension_";
    private static final String MAX_VALUES_ENV = "_max__values";
    private static final String ATTRIBUTES_ENV = "attributes_";

    private ConfigFiles() {
    }

    static Properties load(Path file, Map<String, String> env) {
        return load(file, env, List.of());
    }

    /**
     * Loads {@code file} (if not null), then the environment overrides, then {@code properties}
     * ({@code --property key=value}, later ones win), so the command line beats the environment,
     * which beats the file.
     *
     * @throws ConfigException naming the file, the variable or the {@code --property} at fault: a
     *                         {@code --property} without {@code =}, or whose key is neither an
     *                         Engagement setting nor a Kafka client or Streams setting
     */
    static Properties load(Path file, Map<String, String> env, List<String> properties) {
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
        for (String property : properties) {
            int eq = property.indexOf('=');
            String key = eq < 0 ? "" : property.substring(0, eq).trim();
            if (key.isEmpty()) {
                throw new ConfigException("--property '" + property + "': expected KEY=VALUE, e.g. engagement.grace=3d");
            }
            if (!key.startsWith(EngagementConfig.PREFIX) && !isKafkaKey(key)) {
                throw new ConfigException("--property " + key
                    + ": neither an Engagement setting nor a Kafka client or Streams setting");
            }
            props.setProperty(key, property.substring(eq + 1).trim());
        }
        return props;
    }

    /** ENGAGEMENT_* variables that are not configuration (read by the logging set-up). */
    static final Set<String> NOT_CONFIG = Set.of("ENGAGEMENT_LOG_LEVEL");

    private static final List<String> KAFKA_PREFIXES = List.of("consumer.", "producer.", "admin.",
        "main.consumer.", "restore.consumer.", "global.consumer.", "topic.");

    /** Whether a key is a Kafka Streams, consumer, producer or admin setting (possibly with its Streams prefix). */
    static boolean isKafkaKey(String key) {
        String bare = bareKafkaKey(key);
        return StreamsConfig.configDef().names().contains(bare)
            || ConsumerConfig.configNames().contains(bare)
            || ProducerConfig.configNames().contains(bare)
            || AdminClientConfig.configNames().contains(bare);
    }

    /** A Kafka key without its Streams client prefix ({@code consumer.}, {@code producer.}, ...). */
    static String bareKafkaKey(String key) {
        for (String prefix : KAFKA_PREFIXES) {
            if (key.startsWith(prefix)) {
                return key.substring(prefix.length());
            }
        }
        return key;
    }

    static String keyOf(String envName) {
        String rest = envName.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT);
        if (rest.startsWith(WATCH_ENV)) {
            // A watch's name keeps its underscores (ENGAGEMENT_WATCH_RELEASE_LINUX: engagement.watch.release_linux).
            return Watch.PREFIX + rest.substring(WATCH_ENV.length()).replace("__", "-");
        }
        if (rest.startsWith(DIMENSION_ENV) && rest.endsWith(MAX_VALUES_ENV)
            && rest.length() > DIMENSION_ENV.length() + MAX_VALUES_ENV.length()) {
            // A dimension's name keeps its underscores (ENGAGEMENT_DIMENSION_APP_VERSION_MAX__VALUES:
            // engagement.dimension.app_version.max-values); attributes_KEY is attributes.KEY.
            String name = rest.substring(DIMENSION_ENV.length(), rest.length() - MAX_VALUES_ENV.length());
            if (name.startsWith(ATTRIBUTES_ENV)) {
                name = "attributes." + name.substring(ATTRIBUTES_ENV.length());
            }
            return EngagementConfig.PREFIX + "dimension." + name + ".max-values";
        }
        String key = rest.replace("__", "-").replace('_', '.');
        String ours = EngagementConfig.PREFIX + key;
        if (EngagementConfig.KEYS.containsKey(ours) || key.startsWith("dimension.")) {
            return ours;
        }
        return key;
    }
}
