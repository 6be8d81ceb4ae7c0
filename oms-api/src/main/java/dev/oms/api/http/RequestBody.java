package dev.oms.api.http;

import java.io.IOException;
import java.io.InputStream;

import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;

/**
 * A request's body, for every route that reads one: at most {@code http.max-body-bytes}, else a
 * 413 problem. Helidon lets bodies up to a larger bound reach the routes and drops what a route
 * leaves unread ({@code Oms.drainLimit}), so this is the limit clients see.
 */
final class RequestBody {
    private RequestBody() {
    }

    /** The whole body, refused with 413 past {@code maxBytes} (declared or sent); never more than that in memory. */
    static byte[] read(ServerRequest req, int maxBytes) throws IOException {
        if (req.headers().contentLength().orElse(0) > maxBytes) {
            throw new ProblemException(tooLarge(null));
        }
        byte[] body;
        try (InputStream in = req.content().inputStream()) {
            body = in.readNBytes(maxBytes + 1);
        } catch (RuntimeException e) {
            // Helidon decodes the chunked framing as the body is read: a chunk size that is not hex
            // is a NumberFormatException, which went out as a 500.
            throw new ProblemException(Problem.of(Status.BAD_REQUEST_400, "/problems/malformed-body", "Malformed body",
                    "the body's chunked framing could not be read (" + e.getClass().getSimpleName() + ")"));
        }
        if (body.length > maxBytes) {
            throw new ProblemException(tooLarge(null));
        }
        return body;
    }

    /**
     * A request body as a JSON tree, or a 400 problem (malformed-json) saying what is wrong and
     * where: for every route that takes a JSON body. The bytes must be well-formed UTF-8 first:
     * Jackson's decoder takes overlong forms ("CT\\xC0\\xAF" read as "CT/").
     */
    static com.fasterxml.jackson.databind.JsonNode json(com.fasterxml.jackson.databind.ObjectMapper mapper, byte[] body) {
        try {
            java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(body));
        } catch (java.nio.charset.CharacterCodingException e) {
            throw malformedJson("the body is not well-formed UTF-8");
        }
        try {
            return mapper.readTree(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            String at = e.getLocation() == null ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            throw malformedJson("the body is not valid JSON: " + e.getOriginalMessage() + at);
        } catch (IOException e) {
            throw malformedJson("the body could not be read: " + e.getMessage());
        }
    }

    /** 400: a body that is not the JSON a route takes. */
    static ProblemException malformedJson(String detail) {
        return new ProblemException(Problem.of(Status.BAD_REQUEST_400, "/problems/malformed-json", "Malformed JSON", detail));
    }

    static Problem tooLarge(String detail) {
        return Problem.of(Status.REQUEST_ENTITY_TOO_LARGE_413, "/problems/body-too-large", "Body too large",
                detail != null ? detail : "the body is larger than the limit (http.max-body-bytes)");
    }
}
