package dev.oms.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import dev.oms.api.Http;
import dev.oms.api.Oms;
import dev.oms.api.TestOms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HealthTest {
    @TempDir
    Path dir;

    @Test
    void liveAndReadyAnswerUpOnceTheEngineHasReplayedTheLog() throws Exception {
        try (Oms oms = TestOms.start(dir)) {
            Http http = new Http(oms.httpPort());
            assertThat(http.get("/health/live").statusCode()).isEqualTo(200);
            org.awaitility.Awaitility.await().until(() -> http.get("/health/ready").statusCode() == 200);
            var ready = Http.json(http.get("/health/ready"));
            assertThat(ready.get("status").asText()).isEqualTo("UP");
            assertThat(ready.get("checks").get("engine").asText()).isEqualTo("UP");
            assertThat(http.get("/health").statusCode()).isEqualTo(200);
        }
    }
}
