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
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.oms.api.Http;
import dev.oms.api.OneOmsPerClass;
import dev.oms.api.Oms;
import dev.oms.api.TestOms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * /openapi stays in step with the routes, both ways: the operations it lists are exactly the routes
 * the server's routing registered ({@link Oms#routes}, noted by the registration itself, not a
 * list kept here), each of them answers over HTTP, and what it does not list falls through to the
 * not-found route. Operations marked {@code x-cluster-only} are served by a cluster node only.
 */
class OpenApiTest extends OneOmsPerClass {
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");

    @Test
    void everyRouteTheServerRegistersIsDocumentedAndEveryDocumentedOperationIsRegistered() throws Exception {
        SortedMap<String, Boolean> documented = documentedOperations(http);
        SortedSet<String> singleNode = new TreeSet<>();
        documented.forEach((operation, clusterOnly) -> {
            if (!clusterOnly) {
                singleNode.add(operation);
            }
        });
        SortedSet<String> served = oms.routes();

        assertThat(served).as("the routing registered routes").contains("GET /orders/{id}", "POST /orders", "GET /health");
        assertThat(difference(served, singleNode)).as("served but not in /openapi").isEmpty();
        assertThat(difference(singleNode, served)).as("in /openapi but not served").isEmpty();
    }

    /**
     * No route takes HEAD: 405 (404 where no route is), with no content, so that the next answer on
     * the connection is read from its first byte (a body after a HEAD answer would be taken for it).
     */
    @Test
    void aHeadRequestIsAnsweredWithoutContentAndTheConnectionServesTheNextRequest() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", oms.httpPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("HEAD /health/live HTTP/1.1\r\nHost: oms\r\n\r\n"
                    + "HEAD /nothing-here HTTP/1.1\r\nHost: oms\r\n\r\n"
                    + "GET /health/live HTTP/1.1\r\nHost: oms\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            java.io.InputStream in = socket.getInputStream();
            String first = headOf(in);
            assertThat(first).startsWith("HTTP/1.1 405").containsIgnoringCase("Allow: GET");
            assertThat(first).as("no content").doesNotContainIgnoringCase("Content-Length: 1");
            assertThat(headOf(in)).as("the next answer starts where the first ends").startsWith("HTTP/1.1 404");
            String third = headOf(in);
            assertThat(third).startsWith("HTTP/1.1 200");
        }
    }

    /** As the README says: behind a proxy that speaks HTTP/1.0 (nginx's default), the cause is named. */
    @Test
    void anHttp10RequestIsAnswered505WithAProblemAndTheConnectionClosed() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", oms.httpPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("GET /health/live HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 505").containsIgnoringCase("Connection: close")
                    .containsIgnoringCase("Content-Type: application/problem+json").contains("\"status\":505");
        }
    }

    /** The status line and headers of the next answer on the connection, up to the blank line. */
    private static String headOf(java.io.InputStream in) throws java.io.IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new java.io.EOFException("the connection closed after: " + head);
            }
            head.append((char) b);
        }
        return head.toString();
    }

    @Test
    void aClusterNodeServesExactlyTheDocumentedOperationsItsOwnIncluded(@TempDir Path dir) throws Exception {
        int raftPort = dev.oms.streaming.TestPorts.free();
        try (Oms node = TestOms.start(dir, Map.of("OMS_CLUSTER_NODE_ID", "1", "OMS_CLUSTER_PEERS", "1@127.0.0.1:" + raftPort))) {
            Http nodeHttp = new Http(node.httpPort());
            Set<String> documented = documentedOperations(nodeHttp).keySet();
            SortedSet<String> served = node.routes();

            assertThat(difference(served, documented)).as("served by a cluster node but not in /openapi").isEmpty();
            assertThat(difference(documented, served)).as("in /openapi but not served by a cluster node").isEmpty();
            assertThat(nodeHttp.get("/cluster").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void everyDocumentedOperationAnswersOverHttpAndAnUndocumentedOneIsNotFoundOrNotAllowed() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + oms.httpPort();
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, Boolean> documented : documentedOperations(http).entrySet()) {
            String operation = documented.getKey();
            String method = operation.substring(0, operation.indexOf(' '));
            String path = operation.substring(operation.indexOf(' ') + 1);
            String concrete = path.replace("{id}", "0-0").replace("{symbol}", "AAPL")
                    .replace("{partition}", "0").replace("{offset}", "0");
            String body = method.equals("POST") || method.equals("PATCH") ? "{}" : null;
            HttpRequest request = HttpRequest.newBuilder(URI.create(base + concrete))
                    .header("Content-Type", "application/json")
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                    .build();
            // Headers first: a stream (server-sent events) never ends, so read a body only for a 404.
            HttpResponse<java.io.InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (java.io.InputStream in = response.body()) {
                boolean unserved = response.statusCode() == 405
                        || response.statusCode() == 404 && new String(in.readAllBytes()).contains("no resource at");
                if (unserved != documented.getValue()) {
                    wrong.add(operation + " -> " + response.statusCode()
                            + (documented.getValue() ? " (cluster only: a single node must not serve it)" : ""));
                }
            }
        }
        assertThat(wrong).as("documented operations a single node answers wrongly").isEmpty();

        // No route at the path: 404. A route at the path, another method: 405 naming those it takes.
        Set<String> documented = documentedOperations(http).keySet();
        for (String[] undocumented : new String[][] {{"GET", "/order", ""}, {"PUT", "/orders/0-0", "DELETE, GET, PATCH"},
                {"DELETE", "/orders", "GET, POST"}, {"POST", "/books/EUR/USD", "GET"}}) {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(base + undocumented[1]))
                    .method(undocumented[0], HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            String operation = undocumented[0] + " " + undocumented[1];
            if (undocumented[2].isEmpty()) {
                assertThat(response.statusCode()).as(operation).isEqualTo(404);
                assertThat(response.body()).contains("no resource at " + undocumented[0]);
            } else {
                assertThat(response.statusCode()).as(operation).isEqualTo(405);
                assertThat(response.headers().firstValue("Allow")).as(operation).contains(undocumented[2]);
                assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
            }
            assertThat(documented).doesNotContain(operation);
        }
        HttpResponse<String> options = client.send(HttpRequest.newBuilder(URI.create(base + "/orders/0-0"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(options.statusCode()).isEqualTo(204);
        assertThat(options.headers().firstValue("Allow")).contains("DELETE, GET, PATCH");
    }

    /** The operations /openapi lists, as {@code "GET /orders/{id}"}, each with whether it is {@code x-cluster-only}. */
    @SuppressWarnings("unchecked")
    private static SortedMap<String, Boolean> documentedOperations(Http server) throws Exception {
        HttpResponse<String> doc = server.get("/openapi");
        assertThat(doc.statusCode()).isEqualTo(200);
        Map<String, Object> openapi = new Yaml().load(doc.body());
        Map<String, Map<String, Object>> paths = (Map<String, Map<String, Object>>) openapi.get("paths");
        SortedMap<String, Boolean> operations = new TreeMap<>();
        paths.forEach((path, item) -> item.forEach((method, operation) -> {
            if (METHODS.contains(method)) {
                operations.put(method.toUpperCase() + " " + path,
                        Boolean.TRUE.equals(((Map<String, Object>) operation).get("x-cluster-only")));
            }
        }));
        assertThat(operations).as("operations in /openapi").isNotEmpty();
        return operations;
    }

    private static SortedSet<String> difference(Set<String> all, Set<String> without) {
        SortedSet<String> left = new TreeSet<>(all);
        left.removeAll(without);
        return left;
    }
}
