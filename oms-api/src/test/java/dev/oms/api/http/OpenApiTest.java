package dev.oms.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.oms.api.Oms;
import dev.oms.api.TestOms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * /openapi stays in step with the routes: every documented operation is served, and requests
 * the document does not describe fall through to the not-found route.
 */
class OpenApiTest {
    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void everyDocumentedOperationIsServedAndNothingElseIs() throws Exception {
        try (Oms oms = TestOms.start(dir)) {
            HttpClient client = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + oms.httpPort();
            HttpResponse<String> doc = client.send(HttpRequest.newBuilder(URI.create(base + "/openapi")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(doc.statusCode()).isEqualTo(200);
            Map<String, Object> openapi = new Yaml().load(doc.body());
            Map<String, Map<String, Object>> paths = (Map<String, Map<String, Object>>) openapi.get("paths");

            List<String> unserved = new ArrayList<>();
            for (var path : paths.entrySet()) {
                String concrete = path.getKey().replace("{id}", "0-0").replace("{symbol}", "AAPL")
                        .replace("{partition}", "0").replace("{offset}", "0");
                for (String method : path.getValue().keySet()) {
                    if (method.equals("parameters")) {
                        continue;
                    }
                    String body = method.equals("post") || method.equals("patch") ? "{}" : null;
                    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + concrete))
                            .header("Content-Type", "application/json")
                            .method(method.toUpperCase(), body == null ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofString(body));
                    // Headers first: a stream (server-sent events) never ends, so read a body only for a 404.
                    HttpResponse<java.io.InputStream> response = client.send(request.build(),
                            HttpResponse.BodyHandlers.ofInputStream());
                    try (java.io.InputStream in = response.body()) {
                        if (response.statusCode() == 404 && new String(in.readAllBytes()).contains("no resource at")) {
                            unserved.add(method.toUpperCase() + " " + path.getKey());
                        }
                    }
                }
            }
            assertThat(unserved).as("documented but not served").isEmpty();

            for (String[] undocumented : new String[][] {{"PUT", "/orders/0-0"}, {"GET", "/order"}, {"DELETE", "/orders"}}) {
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(base + undocumented[1]))
                        .method(undocumented[0], HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(String.join(" ", undocumented)).isEqualTo(404);
                assertThat(paths.containsKey(undocumented[1]) && paths.get(undocumented[1])
                        .containsKey(undocumented[0].toLowerCase())).isFalse();
            }
        }
    }
}
