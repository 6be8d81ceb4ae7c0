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

    /**
     * Refuses with 415 a body that is not JSON in UTF-8 by its Content-Type, or whose Content-Type
     * cannot be parsed (Helidon throws for {@code "Content-Type;"}, {@code "garbage"}, {@code "/"}:
     * a 500 before).
     */
    static void requireJson(ServerRequest req) {
        java.util.Optional<io.helidon.http.HttpMediaType> type;
        try {
            type = req.headers().contentType();
        } catch (RuntimeException unparsable) {
            throw unsupported(req.headers().value(io.helidon.http.HeaderNames.CONTENT_TYPE).map(v -> "\"" + v + "\", which is not a media type")
                    .orElse("a Content-Type that is not a media type"));
        }
        // Media types are case-insensitive (RFC 9110); JSON is UTF-8 (RFC 8259), whatever a charset says.
        boolean json = type.map(t -> t.mediaType().type().equalsIgnoreCase("application")
                && (t.mediaType().subtype().equalsIgnoreCase("json")
                || t.mediaType().subtype().toLowerCase(java.util.Locale.ROOT).endsWith("+json"))).orElse(false)
                && type.flatMap(io.helidon.http.HttpMediaType::charset).map(c -> c.equalsIgnoreCase("utf-8")).orElse(true);
        if (!json) {
            throw unsupported(type.map(t -> t.text()).orElse("no Content-Type"));
        }
    }

    private static ProblemException unsupported(String got) {
        return new ProblemException(unsupportedMediaType("the body must be application/json in UTF-8, got " + got));
    }

    static Problem unsupportedMediaType(String detail) {
        return Problem.of(Status.UNSUPPORTED_MEDIA_TYPE_415, "/problems/unsupported-media-type", "Unsupported media type", detail);
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
    static com.fasterxml.jackson.databind.JsonNode json(byte[] body) {
        try {
            java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(body));
        } catch (java.nio.charset.CharacterCodingException e) {
            throw malformedJson("the body is not well-formed UTF-8");
        }
        try {
            return MAPPER.readTree(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            String at = e.getLocation() == null ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            throw malformedJson("the body is not valid JSON: " + e.getOriginalMessage() + at);
        } catch (IOException e) {
            throw malformedJson("the body could not be read: " + e.getMessage());
        }
    }

    /**
     * For every JSON body: a key given twice is an error (which one would count is a guess), as is
     * anything after the value; decimals stay exact.
     */
    private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER = new com.fasterxml.jackson.databind.ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    /** 400: a body that is not the JSON a route takes. */
    static ProblemException malformedJson(String detail) {
        return new ProblemException(Problem.of(Status.BAD_REQUEST_400, "/problems/malformed-json", "Malformed JSON", detail));
    }

    static Problem tooLarge(String detail) {
        return Problem.of(Status.REQUEST_ENTITY_TOO_LARGE_413, "/problems/body-too-large", "Body too large",
                detail != null ? detail : "the body is larger than the limit (http.max-body-bytes)");
    }
}
