package dev.engagement.cli;

import dev.engagement.config.ConfigException;
import dev.engagement.config.EngagementConfig;

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
 * ({@code ENGAGEMENT_SCHEMA__REGISTRY_URL} sets {@code engagement.schema-registry.url}).
 */
final class ConfigFiles {

    static final String ENV_PREFIX = "ENGAGEMENT_";

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
            if (name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length()) {
                props.setProperty(keyOf(name), value);
            }
        });
        return props;
    }

    static String keyOf(String envName) {
        String key = envName.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace("__", "-").replace('_', '.');
        String ours = EngagementConfig.PREFIX + key;
        if (EngagementConfig.KEYS.containsKey(ours) || key.startsWith("dimension.")) {
            return ours;
        }
        return key;
    }
}
