package dev.oms.streaming.kafka;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;

import dev.oms.streaming.BrokerMetrics;
import dev.oms.streaming.kafka.handler.ApiHandler;
import dev.oms.streaming.kafka.handler.ApiHandlers;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.network.ClientInformation;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.RequestAndSize;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection. The reader thread frames and parses requests and starts each on its own
 * virtual thread, so a client's pipelined requests (a producer's in-flight batches) are served
 * together and share group commits; the writer thread sends the responses strictly in request
 * order, as the protocol requires.
 *
 * <p>Anything that is not a well-formed request of a known API (a bad frame length, a truncated
 * frame, an unknown API key, bytes that do not parse) closes this connection with a log line;
 * nothing else is affected. A known API at a version we do not serve gets the protocol's
 * UNSUPPORTED_VERSION answer.
 *
 * <p>Threads: one reader and one writer virtual thread per connection, plus one per request.
 */
final class KafkaConnection {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaConnection.class);
    private static final int MAX_IN_FLIGHT = 64;
    private static final ListenerName LISTENER = ListenerName.forSecurityProtocol(SecurityProtocol.PLAINTEXT);

    private final SocketChannel socket;
    private final String id;
    private final InetSocketAddress peer;
    private final ApiHandlers handlers;
    private final int maxRequestBytes;
    private final ExecutorService requests;
    private final java.util.function.Consumer<KafkaConnection> onClose;
    private final BrokerMetrics metrics;
    private final BlockingQueue<InFlight> responses = new ArrayBlockingQueue<>(MAX_IN_FLIGHT);
    /** When this connection last had a whole request read or an answer written. */
    private volatile long lastActiveNanos = System.nanoTime();

    private record InFlight(RequestContext context, AbstractRequest request, CompletableFuture<AbstractResponse> response,
                            long receivedNanos) {
        static final InFlight END = new InFlight(null, null, null, 0);
    }

    KafkaConnection(SocketChannel socket, String id, ApiHandlers handlers, int maxRequestBytes,
                    ExecutorService requests, java.util.function.Consumer<KafkaConnection> onClose, BrokerMetrics metrics)
            throws IOException {
        this.onClose = onClose;
        this.metrics = metrics;
        this.socket = socket;
        this.id = id;
        this.peer = (InetSocketAddress) socket.getRemoteAddress();
        this.handlers = handlers;
        this.maxRequestBytes = maxRequestBytes;
        this.requests = requests;
    }

    void start() {
        Thread.ofVirtual().name("kafka-write-" + id).start(this::writeLoop);
        Thread.ofVirtual().name("kafka-read-" + id).start(this::readLoop);
    }

    private void readLoop() {
        ByteBuffer sizeBuffer = ByteBuffer.allocate(4);
        try {
            while (true) {
                sizeBuffer.clear();
                if (!readFully(sizeBuffer, true)) {
                    return; // the client closed the connection between requests
                }
                int size = sizeBuffer.getInt(0);
                if (size <= 0 || size > maxRequestBytes) {
                    LOG.warn("closing {} from {}: request frame of {} bytes (allowed 1 to {})", id, peer, size, maxRequestBytes);
                    return;
                }
                ByteBuffer frame = ByteBuffer.allocate(size);
                readFully(frame, false);
                lastActiveNanos = System.nanoTime();
                frame.flip();
                InFlight inFlight = dispatch(frame);
                if (inFlight == null) {
                    return;
                }
                if (inFlight.response != null) {
                    responses.put(inFlight);
                }
            }
        } catch (EOFException e) {
            LOG.warn("closing {} from {}: the connection ended inside a request frame", id, peer);
        } catch (IOException e) {
            LOG.debug("{} from {}: {}", id, peer, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            responses.offer(InFlight.END);
            if (responses.remainingCapacity() == 0) {
                close(); // the writer is stuck behind a full queue; closing unblocks it
            }
        }
    }

    /** Parses and starts one request; null when the bytes are not a request we can answer. */
    private InFlight dispatch(ByteBuffer frame) {
        RequestHeader header;
        RequestAndSize parsed;
        RequestContext context;
        try {
            header = RequestHeader.parse(frame);
            context = new RequestContext(header, id, peer.getAddress(), KafkaPrincipal.ANONYMOUS, LISTENER,
                    SecurityProtocol.PLAINTEXT, ClientInformation.EMPTY, false);
            parsed = context.parseRequest(frame);
        } catch (RuntimeException e) {
            LOG.warn("closing {} from {}: undecodable request ({})", id, peer, e.getMessage());
            return null;
        }
        AbstractRequest request = parsed.request;
        @SuppressWarnings("unchecked")
        ApiHandler<AbstractRequest> handler = (ApiHandler<AbstractRequest>) handlers.get(header.apiKey());
        short version = header.apiVersion();
        if (handler == null || (header.apiKey() != ApiKeys.API_VERSIONS
                && (version < handler.minVersion() || version > handler.maxVersion()))) {
            UnsupportedVersionException error = new UnsupportedVersionException(header.apiKey() + " version " + version
                    + " is not supported by this broker; ApiVersions lists what is");
            return new InFlight(context, request, CompletableFuture.completedFuture(request.getErrorResponse(error)),
                    System.nanoTime());
        }
        long received = System.nanoTime();
        boolean answered = !(request instanceof ProduceRequest produce && produce.acks() == 0);
        CompletableFuture<AbstractResponse> ordered;
        try {
            ordered = handler.startInOrder(context, request);
        } catch (RuntimeException e) {
            LOG.warn("{} {} from {} failed", header.apiKey(), version, peer, e);
            ordered = CompletableFuture.completedFuture(request.getErrorResponse(e));
        }
        if (ordered != null) {
            ordered.whenComplete((r, e) -> metrics.onRequest(header.apiKey(), System.nanoTime() - received));
            return new InFlight(context, request, answered ? ordered : null, received);
        }
        CompletableFuture<AbstractResponse> response = new CompletableFuture<>();
        requests.execute(() -> {
            try {
                response.complete(handler.handle(context, request));
                metrics.onRequest(header.apiKey(), System.nanoTime() - received);
            } catch (InterruptedException e) {
                response.complete(request.getErrorResponse(e)); // the broker is shutting down
            } catch (Throwable e) {
                LOG.warn("{} {} from {} failed", header.apiKey(), version, peer, e);
                response.complete(request.getErrorResponse(e));
            }
        });
        return new InFlight(context, request, answered ? response : null, received);
    }

    private void writeLoop() {
        SocketTransferChannel out = new SocketTransferChannel(socket);
        try {
            while (true) {
                InFlight next = responses.take();
                if (next == InFlight.END) {
                    return;
                }
                AbstractResponse response;
                try {
                    response = next.response.get();
                } catch (ExecutionException e) {
                    response = next.request.getErrorResponse(e.getCause());
                }
                Send send = next.context.buildResponseSend(response);
                while (!send.completed()) {
                    send.writeTo(out);
                }
                lastActiveNanos = System.nanoTime();
            }
        } catch (IOException e) {
            LOG.debug("{} to {}: {}", id, peer, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // A response we could not encode is our bug; the client sees the connection close.
            LOG.error("closing {} to {}: a response could not be written", id, peer, e);
        } finally {
            close();
        }
    }

    /** Reads until {@code buffer} is full; false on a clean end of stream before its first byte. */
    private boolean readFully(ByteBuffer buffer, boolean endAllowed) throws IOException {
        while (buffer.hasRemaining()) {
            if (socket.read(buffer) < 0) {
                if (endAllowed && buffer.position() == 0) {
                    return false;
                }
                throw new EOFException();
            }
        }
        return true;
    }

    /** Idle: no request waiting for its answer, and none read nor answered for {@code nanos}. */
    boolean idleFor(long nanos, long now) {
        return responses.isEmpty() && now - lastActiveNanos > nanos;
    }

    void close() {
        onClose.accept(this);
        try {
            socket.close();
        } catch (IOException e) {
            LOG.debug("closing {}", id, e);
        }
    }
}
