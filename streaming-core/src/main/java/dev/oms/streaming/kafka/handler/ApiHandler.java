package dev.oms.streaming.kafka.handler;

import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestContext;

/**
 * The broker's side of one Kafka API, as Redpanda's handlers are: the key, the versions it
 * supports (the ApiVersions response is built from these), and one {@link #handle}. Requests and
 * responses are kafka-clients' own classes; no handler writes a protocol struct by hand.
 *
 * <p>Threads: {@link #handle} runs on a virtual thread per request and may block (a long-polling
 * fetch, a produce waiting for fsync).
 */
public interface ApiHandler<R extends AbstractRequest> {

    ApiKeys apiKey();

    short minVersion();

    short maxVersion();

    /** Answers {@code request}; {@code null} means no response is sent (a produce with acks=0). */
    AbstractResponse handle(RequestContext context, R request) throws Exception;

    /**
     * For an API whose effects must follow the order of requests on a connection (a producer's
     * pipelined batches to one partition must reach the log in sequence order): starts the work on
     * the connection's reader, in arrival order, without blocking, and returns the answer to come
     * (completing with {@code null} for no response). {@code null} (the default): the request is
     * handled by {@link #handle} on a thread of its own.
     */
    default CompletableFuture<AbstractResponse> startInOrder(RequestContext context, R request) {
        return null;
    }
}
