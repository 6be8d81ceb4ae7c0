package dev.oms.api.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OmsConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsComeFromTheDocumentedFile() {
        OmsConfig config = OmsConfig.load(new String[0], Map.of());
        assertThat(config.httpPort()).isEqualTo(8080);
        assertThat(config.kafka().port()).isEqualTo(9092);
        assertThat(config.dataDir()).isEqualTo(Path.of("./data"));
        assertThat(config.broker().shards()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(config.priceDecimals()).isEqualTo(4);
    }

    @Test
    void flagsBeatEnvironmentWhichBeatsTheConfigFileWhichBeatsDefaults() throws Exception {
        Path file = dir.resolve("oms.yaml");
        Files.writeString(file, """
                http:
                  port: 7001
                  max-body-bytes: 4096
                kafka:
                  port: 7002
                engine:
                  price-decimals: 2
                """);
        OmsConfig config = OmsConfig.load(new String[] {"--config", file.toString(), "--http-port=7100"},
                Map.of("OMS_HTTP_PORT", "7200", "OMS_KAFKA_PORT", "7300", "OMS_DATA_DIR", "/var/lib/oms"));

        assertThat(config.httpPort()).as("flag").isEqualTo(7100);
        assertThat(config.kafka().port()).as("environment").isEqualTo(7300);
        assertThat(config.dataDir()).as("environment").isEqualTo(Path.of("/var/lib/oms"));
        assertThat(config.maxBodyBytes()).as("file").isEqualTo(4096);
        assertThat(config.priceDecimals()).as("file").isEqualTo(2);
        assertThat(config.broker().queueCapacity()).as("default").isEqualTo(4096);
    }

    @Test
    void configFileMayComeFromTheEnvironment() throws Exception {
        Path file = dir.resolve("other.yaml");
        Files.writeString(file, "data-dir: /srv/oms\n");
        assertThat(OmsConfig.load(new String[0], Map.of("OMS_CONFIG", file.toString())).dataDir())
                .isEqualTo(Path.of("/srv/oms"));
    }

    /**
     * A cluster node tells Kafka clients, and the other nodes forwarding HTTP, the host its peers
     * reach it at, unless an advertised host is set: "localhost" would send them to themselves.
     */
    @Test
    void aClusterNodeAdvertisesTheHostItsPeersKnowItByUnlessOneIsSet() {
        String[] node2 = {"--node-id", "2", "--peers", "1@host-a:33145,2@host-b:33145,3@host-c:33145"};
        assertThat(OmsConfig.load(node2, Map.of()).kafka().advertisedHost()).isEqualTo("host-b");
        assertThat(OmsConfig.load(node2, Map.of("OMS_KAFKA_ADVERTISED_HOST", "oms-2.example")).kafka().advertisedHost())
                .isEqualTo("oms-2.example");
        assertThat(OmsConfig.load(new String[0], Map.of()).kafka().advertisedHost()).as("a single node").isEqualTo("localhost");
    }

    @Test
    void badValuesAreRefusedNamingTheKeyAndItsVariable() {
        assertThatThrownBy(() -> OmsConfig.load(new String[] {"--http-port", "eighty"}, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.port").hasMessageContaining("OMS_HTTP_PORT").hasMessageContaining("eighty");
        assertThatThrownBy(() -> OmsConfig.load(new String[0], Map.of("OMS_ENGINE_PIN_WORKERS", "maybe")))
                .hasMessageContaining("engine.pin-workers");
        assertThatThrownBy(() -> OmsConfig.load(new String[] {"--config", dir.resolve("missing.yaml").toString()}, Map.of()))
                .hasMessageContaining("missing.yaml");
        assertThatThrownBy(() -> OmsConfig.load(new String[] {"--http-port"}, Map.of()))
                .hasMessageContaining("--http-port needs a value");
    }
}
