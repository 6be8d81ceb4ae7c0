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
        Problem problem = status.code() == Status.REQUEST_ENTITY_TOO_LARGE_413.code()
                ? RequestBody.tooLarge(message)
                : Problem.of(status, "about:blank", status.reasonPhrase(), message == null ? status.reasonPhrase() : message);
        headers.set(HeaderNames.CONTENT_TYPE, Problem.MEDIA_TYPE);
        return TransportResponse.builder()
                .status(status)
                .headers(headers)
                .entity(problem.toJson())
                .build();
    }
}
