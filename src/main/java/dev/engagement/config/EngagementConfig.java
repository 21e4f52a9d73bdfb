package dev.engagement.config;

import dev.engagement.ping.Dimension;
import dev.engagement.sketch.Sketches;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Engagement's settings. Keys starting with {@code engagement.} are ours (see {@link #KEYS} and
 * {@code docs/configuration.md}); every other key is a Kafka property and passes straight through
 * ({@link #kafkaProperties()}).
 *
 * @param pingsTopic        topic of incoming pings (Confluent-framed Avro)
 * @param deadLetterTopic   where malformed or implausible pings go, with the reason in headers
 * @param lateTopic         where pings for days past grace go
 * @param sketchesTopic     the compacted downstream topic of segment-day sketches
 * @param partialsTopic     internal topic carrying each partition's partial sketches to the merger
 * @param dimensions        the segment dimensions, in order
 * @param lgK               sketch precision
 * @param grace             how long after its end a day still accepts pings, in stream time
 * @param latenessWindow    how far before its submission day an activity date is plausible
 * @param retention         how long days are kept in the stores
 * @param downstreamInterval at most one update per (segment, day) and interval on the sketches topic
 * @param schemaRegistryUrl the registry's URL, or {@code embedded}
 * @param schemaRegistryUserInfo {@code user:password} for the registry's basic authentication, or empty
 * @param topicPartitions   partitions of the pings topic when Engagement creates it
 * @param topicReplication  replication factor of created topics; -1 for the broker's default
 * @param maxLiveSketches   live sketches a task keeps in memory before it writes and drops them all
 * @param instanceId        this instance's stable id ({@code group.instance.id}), or empty: derived from the state directory
 * @param http              the HTTP API's settings
 * @param query             the query layer's settings
 * @param release           the settings of {@code /v1/releases}
 * @param watches           the watched segments ({@code engagement.watch.<name>}), by name
 * @param kafka             the pass-through Kafka properties
 */
public record EngagementConfig(
    String pingsTopic,
    String deadLetterTopic,
    String lateTopic,
    String sketchesTopic,
    String partialsTopic,
    List<Dimension> dimensions,
    int lgK,
    Duration grace,
    Duration latenessWindow,
    Duration retention,
    Duration downstreamInterval,
    String schemaRegistryUrl,
    String schemaRegistryUserInfo,
    int topicPartitions,
    short topicReplication,
    int maxLiveSketches,
    String instanceId,
    HttpSettings http,
    QuerySettings query,
    ReleaseSettings release,
    Map<String, Watch> watches,
    Map<String, String> kafka) {

    public static final String PREFIX = "engagement.";
    public static final String DEFAULT_DIMENSIONS = "app_name,channel,os,country,app_version";
    public static final int DEFAULT_MAX_VALUES = 1000;
    /**
     * Keys still accepted but ignored, each with why: existing configuration files keep working, and
     * one warning line says what to do.
     */
    public static final Map<String, String> DEPRECATED = Map.of("engagement.flush-interval",
        "queries read open days from the live sketches, and the store is written when Kafka Streams "
            + "commits (commit.interval.ms); remove the key");
    private static final Logger LOG = LoggerFactory.getLogger(EngagementConfig.class);
    /** The registry URL value that selects the in-process registry. */
    public static final String EMBEDDED = "embedded";

    /**
     * Every {@code engagement.*} key with its default. Per-dimension caps are
     * {@code engagement.dimension.NAME.max-values}; watched segments are {@code engagement.watch.NAME}
     * ({@link Watch}).
     */
    public static final Map<String, String> KEYS = Map.ofEntries(
        Map.entry("engagement.topic.pings", "pings"),
        Map.entry("engagement.topic.dead-letter", "pings-dead-letter"),
        Map.entry("engagement.topic.late", "pings-late"),
        Map.entry("engagement.topic.sketches", "segment-day-sketches"),
        Map.entry("engagement.topic.partials", "engagement-sketch-partials"),
        Map.entry("engagement.dimensions", DEFAULT_DIMENSIONS),
        Map.entry("engagement.dimension.max-values", Integer.toString(DEFAULT_MAX_VALUES)),
        Map.entry("engagement.sketch.lg-k", Integer.toString(Sketches.DEFAULT_LG_K)),
        Map.entry("engagement.grace", "2d"),
        Map.entry("engagement.lateness-window", "28d"),
        Map.entry("engagement.retention", "400d"),
        Map.entry("engagement.downstream-interval", "1m"),
        Map.entry("engagement.max-live-sketches", "50000"),
        Map.entry("engagement.instance-id", ""),
        Map.entry("engagement.schema-registry.url", EMBEDDED),
        Map.entry("engagement.schema-registry.basic-auth-user-info", ""),
        Map.entry("engagement.topic.partitions", "4"),
        Map.entry("engagement.topic.replication-factor", "-1"),
        Map.entry("engagement.http.bind", "127.0.0.1"),
        Map.entry("engagement.http.port", "8080"),
        Map.entry("engagement.http.token", ""),
        Map.entry("engagement.http.idle-timeout", "30s"),
        Map.entry("engagement.http.read-timeout", "10s"),
        Map.entry("engagement.http.max-header-bytes", "8192"),
        Map.entry("engagement.http.max-uri-bytes", "4096"),
        Map.entry("engagement.http.max-connections", "1024"),
        Map.entry("engagement.http.gzip-min-bytes", "4096"),
        Map.entry("engagement.http.tls.keystore", ""),
        Map.entry("engagement.http.tls.keystore-password", ""),
        Map.entry("engagement.http.tls.truststore", ""),
        Map.entry("engagement.http.tls.truststore-password", ""),
        Map.entry("engagement.http.tls.client-auth", "none"),
        Map.entry("engagement.query.low-sample-clients", "100"),
        Map.entry("engagement.query.max-range-days", "400"),
        Map.entry("engagement.query.max-groups", "1000"),
        Map.entry("engagement.query.cache-entries", "100000"),
        Map.entry("engagement.query.timeout", "30s"),
        Map.entry("engagement.release.dimension", "app_version"),
        Map.entry("engagement.release.min-clients", "100"));

    public EngagementConfig {
        dimensions = List.copyOf(dimensions);
        kafka = Map.copyOf(kafka);
        watches = Collections.unmodifiableMap(new TreeMap<>(watches));
        if (dimensions.isEmpty()) {
            throw new ConfigException("engagement.dimensions: at least one dimension is needed");
        }
        if (grace.isNegative() || retention.compareTo(grace.plusDays(28)) < 0) {
            throw new ConfigException("engagement.retention (" + Durations.format(retention)
                + ") must cover a 28-day window plus the grace period (" + Durations.format(grace) + ")");
        }
        if (downstreamInterval.toMillis() < 10) {
            throw new ConfigException("engagement.downstream-interval must be at least 10ms");
        }
    }

    /** The configuration of all defaults, with extra properties layered on top. */
    public static EngagementConfig defaults(Map<String, String> overrides) {
        Properties p = new Properties();
        p.putAll(overrides);
        return from(p);
    }

    /**
     * Parses properties: {@code engagement.*} keys are validated (an unknown one is an error, to catch
     * typos); everything else is kept as a Kafka property.
     *
     * @throws ConfigException naming the key at fault
     */
    public static EngagementConfig from(Properties props) {
        Map<String, String> all = new TreeMap<>();
        for (String name : props.stringPropertyNames()) {
            all.put(name, props.getProperty(name).trim());
        }
        Map<String, String> kafka = new TreeMap<>();
        for (Map.Entry<String, String> e : all.entrySet()) {
            String key = e.getKey();
            if (!key.startsWith(PREFIX)) {
                kafka.put(key, e.getValue());
            } else if (DEPRECATED.containsKey(key)) {
                LOG.warn("{} is deprecated and ignored: {}", key, DEPRECATED.get(key));
            } else if (!KEYS.containsKey(key) && !(key.startsWith("engagement.dimension.") && key.endsWith(".max-values"))
                && !key.startsWith(Watch.PREFIX)) {
                throw new ConfigException(key + ": unknown setting (known: " + new TreeSet<>(KEYS.keySet())
                    + ", engagement.dimension.<name>.max-values and engagement.watch.<name>)");
            }
        }
        int defaultCap = integer(all, "engagement.dimension.max-values", 0);
        List<Dimension> dimensions = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>(Arrays.asList(get(all, "engagement.dimensions").split("\\s*,\\s*")));
        for (String name : names) {
            if (name.isEmpty()) {
                continue;
            }
            if (!Dimension.isValidName(name)) {
                throw new ConfigException("engagement.dimensions: unknown dimension '" + name + "' (use one of "
                    + new TreeSet<>(Dimension.FIELDS) + " or attributes.<key>)");
            }
            String capKey = "engagement.dimension." + name + ".max-values";
            int cap = all.containsKey(capKey) ? integer(all, capKey, 0) : defaultCap;
            dimensions.add(new Dimension(name, cap));
        }
        for (String key : all.keySet()) {
            if (key.startsWith("engagement.dimension.") && key.endsWith(".max-values")
                && !key.equals("engagement.dimension.max-values")) {
                String name = key.substring("engagement.dimension.".length(), key.length() - ".max-values".length());
                if (!names.contains(name)) {
                    throw new ConfigException(key + ": '" + name + "' is not one of engagement.dimensions " + names);
                }
            }
        }
        String releaseDimension = all.get("engagement.release.dimension");
        if (releaseDimension != null && dimensions.stream().noneMatch(d -> d.name().equals(releaseDimension))) {
            throw new ConfigException("engagement.release.dimension: '" + releaseDimension + "' is not one of"
                + " engagement.dimensions " + dimensions.stream().map(Dimension::name).toList());
        }
        int lgK = integer(all, "engagement.sketch.lg-k", 4);
        if (lgK > 21) {
            throw new ConfigException("engagement.sketch.lg-k: must be between 4 and 21, got " + lgK);
        }
        List<String> dimensionNames = dimensions.stream().map(Dimension::name).toList();
        Map<String, Watch> watches = new TreeMap<>();
        all.forEach((key, value) -> {
            if (key.startsWith(Watch.PREFIX)) {
                Watch watch = Watch.parse(key, value, dimensionNames);
                watches.put(watch.name(), watch);
            }
        });
        return new EngagementConfig(
            get(all, "engagement.topic.pings"),
            get(all, "engagement.topic.dead-letter"),
            get(all, "engagement.topic.late"),
            get(all, "engagement.topic.sketches"),
            get(all, "engagement.topic.partials"),
            dimensions,
            lgK,
            duration(all, "engagement.grace"),
            duration(all, "engagement.lateness-window"),
            duration(all, "engagement.retention"),
            duration(all, "engagement.downstream-interval"),
            get(all, "engagement.schema-registry.url"),
            all.getOrDefault("engagement.schema-registry.basic-auth-user-info", ""),
            integer(all, "engagement.topic.partitions", 1),
            (short) integer(all, "engagement.topic.replication-factor", -1),
            integer(all, "engagement.max-live-sketches", 2),
            all.getOrDefault("engagement.instance-id", ""),
            http(all),
            new QuerySettings(integer(all, "engagement.query.low-sample-clients", 0),
                integer(all, "engagement.query.max-range-days", 1), integer(all, "engagement.query.max-groups", 1),
                integer(all, "engagement.query.cache-entries", 0), positive(all, "engagement.query.timeout")),
            new ReleaseSettings(get(all, "engagement.release.dimension"), integer(all, "engagement.release.min-clients", 1)),
            watches,
            kafka);
    }

    private static HttpSettings http(Map<String, String> all) {
        String clientAuth = get(all, "engagement.http.tls.client-auth");
        if (!Set.of("none", "want", "need").contains(clientAuth)) {
            throw new ConfigException("engagement.http.tls.client-auth: one of none, want, need; got '" + clientAuth + "'");
        }
        HttpSettings.Tls tls = new HttpSettings.Tls(all.getOrDefault("engagement.http.tls.keystore", ""),
            all.getOrDefault("engagement.http.tls.keystore-password", ""),
            all.getOrDefault("engagement.http.tls.truststore", ""),
            all.getOrDefault("engagement.http.tls.truststore-password", ""), clientAuth);
        if (!tls.enabled() && (!tls.truststore().isEmpty() || !"none".equals(clientAuth))) {
            throw new ConfigException("engagement.http.tls.truststore and engagement.http.tls.client-auth need"
                + " engagement.http.tls.keystore (TLS is on only with a key store)");
        }
        return new HttpSettings(get(all, "engagement.http.bind"), integer(all, "engagement.http.port", 0),
            all.getOrDefault("engagement.http.token", ""), positive(all, "engagement.http.idle-timeout"),
            positive(all, "engagement.http.read-timeout"), integer(all, "engagement.http.max-header-bytes", 1024),
            integer(all, "engagement.http.max-uri-bytes", 256), integer(all, "engagement.http.max-connections", 8),
            integer(all, "engagement.http.gzip-min-bytes", 0), tls);
    }

    /** The settings as {@code key=value} lines for the start-up log, with secrets masked. */
    public List<String> summary() {
        List<String> lines = new ArrayList<>();
        lines.add("engagement.topics: pings=" + pingsTopic + " dead-letter=" + deadLetterTopic + " late=" + lateTopic
            + " sketches=" + sketchesTopic + " partials=" + partialsTopic);
        lines.add("engagement.dimensions: " + dimensions.stream().map(d -> d.name() + "(max " + d.maxValues() + ")").toList());
        lines.add("engagement.sketch: lgK=" + lgK + " grace=" + Durations.format(grace) + " lateness-window="
            + Durations.format(latenessWindow) + " retention=" + Durations.format(retention));
        lines.add("engagement.schema-registry.url: " + schemaRegistryUrl
            + (schemaRegistryUserInfo.isEmpty() ? "" : " (basic auth: ****)"));
        lines.add("engagement.http: " + http.bind() + ":" + http.port()
            + (http.hasToken() ? " (bearer token: ****)" : " (no token)")
            + (http.tls().enabled() ? " tls keystore=" + http.tls().keystore() + " client-auth=" + http.tls().clientAuth()
                : " (no tls)")
            + " idle-timeout=" + Durations.format(http.idleTimeout()) + " read-timeout=" + Durations.format(http.readTimeout())
            + " max-connections=" + http.maxConnections() + " gzip-min-bytes=" + http.gzipMinBytes());
        lines.add("engagement.query: timeout=" + Durations.format(query.timeout()) + " low-sample-clients="
            + query.lowSampleClients() + " max-range-days=" + query.maxRangeDays() + " max-groups=" + query.maxGroups()
            + " cache-entries=" + query.cacheEntries());
        watches.values().forEach(w -> lines.add(Watch.PREFIX + w.name() + ": " + w.filters()));
        kafka.forEach((k, v) -> lines.add(k + "=" + (isSecret(k) ? "****" : v)));
        return lines;
    }

    /** Whether a property holds a secret that must never be logged. */
    public static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("secret") || k.contains("jaas.config") || k.contains("token")
            || k.contains("user.info") || k.contains("credentials") || k.endsWith(".key");
    }

    /** The Kafka properties (everything that is not {@code engagement.*}). */
    public Properties kafkaProperties() {
        Properties p = new Properties();
        p.putAll(kafka);
        return p;
    }

    /** The names of the dimensions, in order. */
    public List<String> dimensionNames() {
        return dimensions.stream().map(Dimension::name).toList();
    }

    public int graceDays() {
        return (int) Math.ceil(grace.toMillis() / 86_400_000.0);
    }

    private static String get(Map<String, String> all, String key) {
        String value = all.getOrDefault(key, KEYS.get(key));
        if (value == null || value.isEmpty()) {
            throw new ConfigException(key + ": must not be empty");
        }
        return value;
    }

    private static int integer(Map<String, String> all, String key, int min) {
        String text = all.getOrDefault(key, KEYS.getOrDefault(key, Integer.toString(DEFAULT_MAX_VALUES)));
        try {
            int value = Integer.parseInt(text);
            if (value < min) {
                throw new ConfigException(key + ": must be at least " + min + ", got " + value);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new ConfigException(key + ": '" + text + "' is not an integer");
        }
    }

    private static Duration positive(Map<String, String> all, String key) {
        Duration d = duration(all, key);
        if (d.isZero()) {
            throw new ConfigException(key + ": must be more than 0");
        }
        return d;
    }

    private static Duration duration(Map<String, String> all, String key) {
        Duration d = Durations.parse(key, get(all, key));
        if (d.isNegative()) {
            throw new ConfigException(key + ": must not be negative");
        }
        return d;
    }
}
