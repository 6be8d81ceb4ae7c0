package dev.oms.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oms.api.config.OmsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The deployment files are checked by the tools that consume them, short of running containers
 * (no Docker engine here): Docker Compose validates the compose file, and the configuration the
 * Kubernetes ConfigMap carries is loaded by oms itself.
 */
class DeploymentFilesTest {
    private static final Path DEPLOYMENT = Path.of("..", "deployment");

    @TempDir
    Path dir;

    @Test
    void dockerComposeValidatesTheComposeFileAndEveryImageIsPinned() throws Exception {
        Result config = compose("-f", DEPLOYMENT.resolve("compose.yaml").toString(), "config", "--format", "json");
        assertThat(config.exit()).as("docker compose config:\n" + config.output()).isZero();
        JsonNode services = new ObjectMapper().readTree(config.output()).get("services");
        assertThat(services.fieldNames()).toIterable().containsExactlyInAnyOrder("oms", "prometheus", "grafana", "jaeger");
        services.properties().forEach(service -> {
            JsonNode image = service.getValue().get("image");
            if (service.getValue().has("build")) {
                return;
            }
            assertThat(image.asText()).as(service.getKey() + "'s image").matches("[^:]+:v?\\d[^:]*").doesNotEndWith(":latest");
        });
        assertThat(services.get("oms").get("environment").get("OMS_TRACING_ENABLED").asText()).isEqualTo("true");

        // The validator is not a rubber stamp: a misspelt key is refused.
        Path broken = dir.resolve("compose.yaml");
        Files.writeString(broken, Files.readString(DEPLOYMENT.resolve("compose.yaml")).replace("    ports:", "    portz:"));
        Files.createDirectories(dir.resolve("prometheus"));
        assertThat(compose("-f", broken.toString(), "config", "-q").exit()).isNotZero();
    }

    @Test
    void theKubernetesManifestsHoldAStatefulSetAServiceAndAConfigMapThatOmsLoads() throws Exception {
        Map<String, Map<String, Object>> manifests = manifests("kubernetes/oms.yaml");
        assertThat(manifests).containsOnlyKeys("ConfigMap", "Service", "StatefulSet");
        OmsConfig config = configOf(manifests, Map.of());
        assertThat(config.dataDir()).isEqualTo(Path.of("/var/lib/oms"));
        assertThat(config.kafka().advertisedHost()).as("the ConfigMap's, not an image default").isEqualTo("oms-0.oms");
        assertThat(config.tracing().enabled()).isTrue();
        assertThat(config.logFormat()).isEqualTo("json");
    }

    @Test
    void theClusterManifestStartsAllPodsAtOnceAndEachFindsItselfAmongThePeersByItsOrdinal() throws Exception {
        Map<String, Map<String, Object>> manifests = manifests("kubernetes/oms-cluster.yaml");
        assertThat(manifests).containsOnlyKeys("ConfigMap", "Service", "StatefulSet");
        Map<String, Object> set = map(manifests.get("StatefulSet"), "spec");
        int replicas = (Integer) set.get("replicas");
        String service = (String) set.get("serviceName");
        String pods = (String) map(manifests.get("StatefulSet"), "metadata").get("name");
        assertThat(set.get("podManagementPolicy")).as("a pod is ready only once a majority runs").isEqualTo("Parallel");
        assertThat(map(manifests.get("Service"), "spec").get("publishNotReadyAddresses")).isEqualTo(true);
        assertThat(map(manifests.get("Service"), "metadata").get("name")).isEqualTo(service);
        for (int ordinal = 0; ordinal < replicas; ordinal++) {
            // As the pod gets them: its ordinal from the downward API, its advertised name from its pod name.
            OmsConfig config = configOf(manifests, Map.of("OMS_CLUSTER_NODE_ID", Integer.toString(ordinal),
                    "OMS_KAFKA_ADVERTISED_HOST", pods + "-" + ordinal + "." + service));
            assertThat(config.cluster().peers()).hasSize(replicas);
            assertThat(config.cluster().self().host()).as("node %d's Raft address is its own pod's", ordinal)
                    .isEqualTo(pods + "-" + ordinal + "." + service);
            assertThat(config.kafka().advertisedHost()).isEqualTo(config.cluster().self().host());
        }
        String manifest = Files.readString(DEPLOYMENT.resolve("kubernetes/oms-cluster.yaml"));
        assertThat(manifest).contains("apps.kubernetes.io/pod-index", "containerPort: " + 33145);
    }

    /** The documents of a manifest file by kind. */
    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> manifests(String file) throws IOException {
        Map<String, Map<String, Object>> byKind = new java.util.LinkedHashMap<>();
        for (Object document : new Yaml().loadAll(Files.readString(DEPLOYMENT.resolve(file)))) {
            Map<String, Object> manifest = (Map<String, Object>) document;
            byKind.put((String) manifest.get("kind"), manifest);
        }
        return byKind;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        return (Map<String, Object>) parent.get(key);
    }

    /** The configuration oms loads from the manifest's ConfigMap, with {@code env} as the pod's environment. */
    /** The config a pod loads: its ConfigMap's file, under the image's environment and then the pod's own. */
    private OmsConfig configOf(Map<String, Map<String, Object>> manifests, Map<String, String> env) throws IOException {
        Path file = dir.resolve("oms.yaml");
        Files.writeString(file, (String) map(manifests.get("ConfigMap"), "data").get("oms.yaml"));
        Map<String, String> environment = new java.util.HashMap<>(imageEnvironment());
        environment.putAll(env);
        return OmsConfig.load(new String[] {"--config", file.toString()}, environment);
    }

    /** What the image's Dockerfile sets with ENV: it beats the config file, as any environment variable does. */
    private static Map<String, String> imageEnvironment() throws IOException {
        Map<String, String> env = new java.util.HashMap<>();
        for (String line : Files.readAllLines(DEPLOYMENT.resolve("Dockerfile"))) {
            if (line.startsWith("ENV ")) {
                for (String pair : line.substring(4).trim().split("\\s+")) {
                    env.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
                }
            }
        }
        return env;
    }

    private record Result(int exit, String output) {
    }

    private static Result compose(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Tools.binary("docker-compose", "tools/build docker-compose")));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), output);
    }
}
