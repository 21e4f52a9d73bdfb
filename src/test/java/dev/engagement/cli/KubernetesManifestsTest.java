package dev.engagement.cli;

import dev.engagement.config.EngagementConfig;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * deploy/kubernetes/ loaded into Kubernetes' own model (fabric8 kubernetes-model), strictly: a field
 * the API does not have fails (the model's catch-all for unknown fields is switched off). Then the
 * wiring: every ENGAGEMENT_* variable loads through the app's own loader into a valid config, ports,
 * probes and the scrape annotations agree, and the instance id and application.server come from the
 * pod's name and the headless Service.
 */
class KubernetesManifestsTest {

    private static final Path DIR = Path.of("deploy", "kubernetes");
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
        "StatefulSet", StatefulSet.class, "Service", Service.class, "ConfigMap", ConfigMap.class,
        "Secret", Secret.class, "PodDisruptionBudget", PodDisruptionBudget.class);
    /** The paths the HTTP server answers for health (ApiServerTest checks them). */
    private static final List<String> HEALTH_PATHS = List.of("/health/live", "/health/ready");

    /** YAML into the model, failing on any field the model does not declare. */
    static final ObjectMapper STRICT = new ObjectMapper(new YAMLFactory())
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .setAnnotationIntrospector(new JacksonAnnotationIntrospector() {
            @Override
            public Boolean hasAnySetter(Annotated a) {
                return Boolean.FALSE;
            }
        });

    private final Map<Class<?>, List<HasMetadata>> resources = new HashMap<>();

    KubernetesManifestsTest() throws IOException {
        for (JsonNode file : kustomization().path("resources")) {
            Path path = DIR.resolve(file.asText());
            JsonNode tree = STRICT.readTree(path.toFile());
            Class<? extends HasMetadata> type = KINDS.get(tree.path("kind").asText());
            assertThat(type).as("%s: kind %s", path, tree.path("kind").asText()).isNotNull();
            HasMetadata resource = STRICT.treeToValue(tree, type);
            assertThat(resource.getApiVersion()).as("%s apiVersion", path).isEqualTo(HasMetadata.getApiVersion(type));
            resources.computeIfAbsent(type, k -> new ArrayList<>()).add(resource);
        }
    }

    @Test
    void theModelIsStrictAboutUnknownFields() {
        String typo = """
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: x}
            spec:
              serviceName: x
              replica: 3
            """;
        assertThatThrownBy(() -> STRICT.readValue(typo, StatefulSet.class))
            .isInstanceOf(UnrecognizedPropertyException.class).hasMessageContaining("replica");
    }

    @Test
    void everyManifestIsInTheKustomization() throws IOException {
        List<String> listed = new ArrayList<>();
        kustomization().path("resources").forEach(r -> listed.add(r.asText()));
        try (Stream<Path> files = Files.list(DIR)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml"))
                .filter(n -> !n.equals("kustomization.yaml")))
                .containsExactlyInAnyOrderElementsOf(listed);
        }
        assertThat(KINDS.values()).allSatisfy(kind -> assertThat(resources).containsKey(kind));
    }

    @Test
    void theImageTagIsTheProjectVersion() throws IOException {
        JsonNode image = kustomization().path("images").get(0);
        assertThat(image.path("newTag").asText()).isEqualTo(VersionTest.pomVersion());
        assertThat(container().getImage()).isEqualTo(image.path("name").asText());
    }

    @Test
    void everyEngagementVariableIsARealSettingAndTheConfigLoads() {
        Map<String, String> env = environment("engagement-0", "prod");
        assertThat(env.keySet().stream().filter(k -> k.startsWith("ENGAGEMENT_"))).hasSizeGreaterThan(8);
        // The app's own loader: an ENGAGEMENT_* variable that maps to no setting is an error there.
        Properties props = ConfigFiles.load(Path.of("docker", "app.properties"), env);
        EngagementConfig config = EngagementConfig.from(props);
        assertThat(config.instanceId()).as("static membership: the pod's name").isEqualTo("engagement-0");
        assertThat(props.getProperty("application.server"))
            .isEqualTo("engagement-0." + statefulSet().getSpec().getServiceName() + ".prod.svc.cluster.local:"
                + config.http().port());
        assertThat(props.getProperty("state.dir")).isEqualTo(stateMount());
        assertThat(env.get("JAVA_OPTS")).isEqualTo(DockerfileSettings.read().env().get("JAVA_OPTS"));
    }

    @Test
    void portsProbesAndScrapeAgreeWithTheApp() {
        Properties props = ConfigFiles.load(Path.of("docker", "app.properties"), environment("engagement-0", "prod"));
        int port = EngagementConfig.from(props).http().port();
        Container c = container();
        assertThat(c.getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getContainerPort()).isEqualTo(port);
            assertThat(p.getName()).isEqualTo("http");
        });
        for (Probe probe : List.of(c.getStartupProbe(), c.getLivenessProbe(), c.getReadinessProbe())) {
            assertThat(probe.getHttpGet().getPath()).isIn(HEALTH_PATHS);
            assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("http");
        }
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health/ready");
        assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health/live");
        Map<String, String> annotations = statefulSet().getSpec().getTemplate().getMetadata().getAnnotations();
        assertThat(annotations).containsEntry("prometheus.io/scrape", "true")
            .containsEntry("prometheus.io/port", Integer.toString(port)).containsEntry("prometheus.io/path", "/metrics");
        assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(c.getResources().getLimits()).containsKey("memory");
        for (HasMetadata r : resources.get(Service.class)) {
            assertThat(((Service) r).getSpec().getPorts()).allSatisfy(p -> {
                assertThat(p.getPort()).isEqualTo(port);
                assertThat(p.getTargetPort().getStrVal()).isEqualTo("http");
            });
        }
        assertThat(statefulSet().getSpec().getTemplate().getSpec().getSecurityContext().getRunAsUser())
            .as("the image's user").isEqualTo(Long.parseLong(DockerfileSettings.read().user().split(":")[0]));
    }

    @Test
    void theStatefulSetHasItsHeadlessServiceVolumeAndBudget() {
        StatefulSet sts = statefulSet();
        Service headless = resources.get(Service.class).stream().map(Service.class::cast)
            .filter(s -> s.getMetadata().getName().equals(sts.getSpec().getServiceName())).findFirst().orElseThrow();
        assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(headless.getSpec().getPublishNotReadyAddresses()).isTrue();
        Map<String, String> labels = sts.getSpec().getTemplate().getMetadata().getLabels();
        assertThat(labels).containsAllEntriesOf(sts.getSpec().getSelector().getMatchLabels());
        PodDisruptionBudget pdb = (PodDisruptionBudget) resources.get(PodDisruptionBudget.class).get(0);
        assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(labels).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
        assertThat(sts.getSpec().getVolumeClaimTemplates()).singleElement().satisfies(pvc ->
            assertThat(container().getVolumeMounts()).anySatisfy(m -> {
                assertThat(m.getName()).isEqualTo(pvc.getMetadata().getName());
                assertThat(m.getMountPath()).isEqualTo(DockerfileSettings.read().volume());
            }));
        EnvVar podName = container().getEnv().stream().filter(e -> e.getName().equals("POD_NAME")).findFirst().orElseThrow();
        assertThat(podName.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
    }

    private JsonNode kustomization() throws IOException {
        return STRICT.readTree(DIR.resolve("kustomization.yaml").toFile());
    }

    private StatefulSet statefulSet() {
        return (StatefulSet) resources.get(StatefulSet.class).get(0);
    }

    private Container container() {
        return statefulSet().getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    private String stateMount() {
        return container().getVolumeMounts().get(0).getMountPath();
    }

    /**
     * The container's environment as Kubernetes would give it to pod {@code pod}: the ConfigMap's
     * data, then the variables in order, secrets from the Secret, field refs and $(VAR) expanded.
     */
    private Map<String, String> environment(String pod, String namespace) {
        Container c = container();
        Map<String, String> env = new LinkedHashMap<>();
        Map<String, ConfigMap> maps = new HashMap<>();
        resources.get(ConfigMap.class).forEach(m -> maps.put(m.getMetadata().getName(), (ConfigMap) m));
        Map<String, Secret> secrets = new HashMap<>();
        resources.get(Secret.class).forEach(s -> secrets.put(s.getMetadata().getName(), (Secret) s));
        c.getEnvFrom().forEach(from -> {
            ConfigMap map = maps.get(from.getConfigMapRef().getName());
            assertThat(map).as("ConfigMap %s", from.getConfigMapRef().getName()).isNotNull();
            env.putAll(map.getData());
        });
        Pattern ref = Pattern.compile("\\$\\(([A-Z_]+)\\)");
        for (EnvVar v : c.getEnv()) {
            String value;
            if (v.getValueFrom() == null) {
                Matcher m = ref.matcher(v.getValue());
                StringBuilder sb = new StringBuilder();
                while (m.find()) {
                    assertThat(env).as("%s refers to $(%s), defined before it", v.getName(), m.group(1)).containsKey(m.group(1));
                    m.appendReplacement(sb, Matcher.quoteReplacement(env.get(m.group(1))));
                }
                value = m.appendTail(sb).toString();
            } else if (v.getValueFrom().getFieldRef() != null) {
                value = switch (v.getValueFrom().getFieldRef().getFieldPath()) {
                    case "metadata.name" -> pod;
                    case "metadata.namespace" -> namespace;
                    default -> throw new AssertionError("unexpected field ref " + v.getValueFrom().getFieldRef().getFieldPath());
                };
            } else {
                var key = v.getValueFrom().getSecretKeyRef();
                Secret secret = secrets.get(key.getName());
                assertThat(secret).as("Secret %s", key.getName()).isNotNull();
                assertThat(secret.getStringData()).as("Secret %s", key.getName()).containsKey(key.getKey());
                value = secret.getStringData().get(key.getKey());
            }
            env.put(v.getName(), value);
        }
        return env;
    }
}
