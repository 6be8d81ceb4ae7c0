package dev.oms.api.http;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;

/**
 * Answers the errors Helidon raises before routing (malformed HTTP, a body over the size limit)
 * with the same problem+json the routes use, so every error a client sees has one shape.
 */
public final class ProblemDirectHandler implements DirectHandler {
    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status status,
                                    ServerResponseHeaders headers, String message) {
        java.util.Optional<String> coding = request.headers().value(HeaderNames.CONTENT_ENCODING);
        Problem problem;
        if (status.code() == Status.REQUEST_ENTITY_TOO_LARGE_413.code()) {
            problem = RequestBody.tooLarge(message);
        } else if (status.code() == Status.BAD_REQUEST_400.code() && coding.isPresent()) {
            // Helidon refuses any content coding, identity included (it has no decoders here), with a bare 400; RFC 9110 says 415.
            status = Status.UNSUPPORTED_MEDIA_TYPE_415;
            problem = RequestBody.unsupportedMediaType("send the body uncompressed and without a Content-Encoding header, got Content-Encoding: "
                    + coding.get());
        } else {
            problem = Problem.of(status, "about:blank", status.reasonPhrase(), message == null ? status.reasonPhrase() : message);
        }
        headers.set(HeaderNames.CONTENT_TYPE, Problem.MEDIA_TYPE);
        return TransportResponse.builder()
                .status(status)
                .headers(headers)
                .entity(problem.toJson())
                .build();
    }
}
