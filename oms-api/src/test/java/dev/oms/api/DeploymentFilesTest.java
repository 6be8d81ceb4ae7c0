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
        List<Map<String, Object>> documents = new ArrayList<>();
        for (Object document : new Yaml().loadAll(Files.readString(DEPLOYMENT.resolve("kubernetes/oms.yaml")))) {
            @SuppressWarnings("unchecked")
            Map<String, Object> manifest = (Map<String, Object>) document;
            documents.add(manifest);
        }
        assertThat(documents).extracting(d -> d.get("kind")).containsExactlyInAnyOrder("ConfigMap", "Service", "StatefulSet");
        @SuppressWarnings("unchecked")
        Map<String, String> data = (Map<String, String>) documents.stream().filter(d -> d.get("kind").equals("ConfigMap"))
                .findFirst().orElseThrow().get("data");
        Path file = dir.resolve("oms.yaml");
        Files.writeString(file, data.get("oms.yaml"));
        OmsConfig config = OmsConfig.load(new String[] {"--config", file.toString()}, Map.of());
        assertThat(config.dataDir()).isEqualTo(Path.of("/var/lib/oms"));
        assertThat(config.tracing().enabled()).isTrue();
        assertThat(config.logFormat()).isEqualTo("json");
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
