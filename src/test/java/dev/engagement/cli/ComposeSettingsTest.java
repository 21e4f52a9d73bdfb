package dev.engagement.cli;

import dev.engagement.config.EngagementConfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docker-compose.yml and the Dockerfile kept in step with the settings (no engine runs here: this
 * reads them). The engagement service's variables load through the app's own loader into a valid
 * config over the image's app.properties; ports, the state volume and the topic agree; the start
 * order waits on health; the generator's command parses.
 */
class ComposeSettingsTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final JsonNode services;
    private final DockerfileSettings image = DockerfileSettings.read();

    ComposeSettingsTest() throws IOException {
        services = YAML.readTree(Path.of("docker-compose.yml").toFile()).path("services");
    }

    private EngagementConfig config(Properties props) {
        return EngagementConfig.from(props);
    }

    private Properties engagementProperties() {
        Map<String, String> env = new LinkedHashMap<>();
        services.path("engagement").path("environment").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        return ConfigFiles.load(Path.of("docker", "app.properties"), env);
    }

    @Test
    void theEngagementServicesVariablesAreRealSettings() {
        Properties props = engagementProperties();
        EngagementConfig config = config(props);
        assertThat(config.schemaRegistryUrl()).isEqualTo("http://schema-registry:8081");
        assertThat(config.watches()).containsKey("release");
        assertThat(props.getProperty("bootstrap.servers")).isEqualTo("kafka:9092");
        assertThat(props.getProperty("application.server")).isEqualTo("engagement:" + config.http().port());
        assertThat(config.http().bind()).as("reachable from other containers").isEqualTo("0.0.0.0");
    }

    @Test
    void portsAndTheStateVolumeAgreeWithTheImage() {
        Properties props = engagementProperties();
        int port = config(props).http().port();
        assertThat(image.expose()).isEqualTo(port);
        assertThat(services.path("engagement").path("ports").get(0).asText()).endsWith(":" + port);
        assertThat(image.volume()).isEqualTo(props.getProperty("state.dir"));
        assertThat(services.path("engagement").path("volumes").get(0).asText()).endsWith(":" + props.getProperty("state.dir"));
        assertThat(image.user()).doesNotStartWith("0").doesNotStartWith("root");
        assertThat(image.healthcheck()).contains("/app/healthcheck");
        assertThat(image.cmd()).contains("/app/app.properties");
        assertThat(image.env().get("JAVA_OPTS")).contains("-XX:MaxRAMPercentage=");
    }

    @Test
    void servicesStartInOrderOnHealth() {
        for (String healthy : List.of("kafka", "schema-registry")) {
            assertThat(services.path(healthy).has("healthcheck")).as("%s has a healthcheck", healthy).isTrue();
        }
        assertThat(services.path("engagement").has("healthcheck")).as("engagement uses the image's HEALTHCHECK").isFalse();
        assertThat(condition("topics", "kafka")).isEqualTo("service_healthy");
        assertThat(condition("schema-registry", "kafka")).isEqualTo("service_healthy");
        assertThat(condition("engagement", "topics")).isEqualTo("service_completed_successfully");
        assertThat(condition("engagement", "schema-registry")).isEqualTo("service_healthy");
        assertThat(condition("generator", "engagement")).isEqualTo("service_healthy");
        services.fields().forEachRemaining(s ->
            assertThat(s.getValue().path("restart").asText()).as("%s's restart policy", s.getKey()).isNotEmpty());
    }

    @Test
    void thePingsTopicIsCreatedFirstAsEngagementWouldCreateIt() {
        EngagementConfig config = config(engagementProperties());
        List<String> command = strings(services.path("topics").path("command"));
        assertThat(command.get(command.indexOf("--topic") + 1)).isEqualTo(config.pingsTopic());
        assertThat(Integer.parseInt(command.get(command.indexOf("--partitions") + 1))).isEqualTo(config.topicPartitions());
        assertThat(command).contains("message.timestamp.type=LogAppendTime");
        assertThat(services.path("kafka").path("environment").path("KAFKA_AUTO_CREATE_TOPICS_ENABLE").asText()).isEqualTo("false");
    }

    @Test
    void kafkaHasAHostListenerAndAVolume() {
        JsonNode kafka = services.path("kafka");
        String advertised = kafka.path("environment").path("KAFKA_ADVERTISED_LISTENERS").asText();
        String hostPort = advertised.replaceAll(".*//localhost:(\\d+).*", "$1");
        assertThat(advertised).contains("PLAINTEXT://kafka:9092");
        assertThat(strings(kafka.path("ports"))).contains(hostPort + ":" + hostPort);
        String dataDir = kafka.path("environment").path("KAFKA_LOG_DIRS").asText();
        assertThat(strings(kafka.path("volumes"))).anySatisfy(v -> assertThat(v).endsWith(":" + dataDir));
    }

    @Test
    void theGeneratorsCommandParsesAndGoesLiveWithTheDegradedRelease() {
        List<String> command = strings(services.path("generator").path("command"));
        CommandLine.ParseResult parsed = new CommandLine(new Main()).parseArgs(command.toArray(String[]::new));
        GenerateCommand generate = (GenerateCommand) parsed.subcommand().commandSpec().userObject();
        assertThat(generate.live).isTrue();
        assertThat(generate.degradedRelease).isNotEqualTo("none");
        assertThat(generate.target.bootstrapServers).isEqualTo(engagementProperties().getProperty("bootstrap.servers"));
        assertThat(services.path("generator").path("image").asText()).isEqualTo(services.path("engagement").path("image").asText());
    }

    private String condition(String service, String dependency) {
        return services.path(service).path("depends_on").path(dependency).path("condition").asText();
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
