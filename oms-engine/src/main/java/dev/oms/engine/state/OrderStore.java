package dev.oms.engine.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import net.openhft.chronicle.map.ChronicleMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's state, persisted in Chronicle Map files under one directory: orders by id, the
 * {@code (account, clientOrderId)} index, and per-partition checkpoints (the next offset to apply).
 *
 * <p>The files make restarts fast; the log stays the truth. After a crash the maps are recovered,
 * and the engine replays from each checkpoint with an idempotent apply, so state equals a full
 * replay. A marker file tells a clean shutdown from a crash.
 *
 * <p>Threads: writes come from the engine worker that owns the order's partition; reads from any
 * thread (Chronicle Map locks per segment).
 */
public final class OrderStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OrderStore.class);
    private static final String CLEAN_SHUTDOWN = "clean-shutdown";

    private final Path dir;
    private final ChronicleMap<Long, byte[]> orders;
    private final ChronicleMap<String, Long> clientOrderIds;
    private final ChronicleMap<Integer, Long> checkpoints;

    private OrderStore(Path dir, ChronicleMap<Long, byte[]> orders, ChronicleMap<String, Long> clientOrderIds,
                       ChronicleMap<Integer, Long> checkpoints) {
        this.dir = dir;
        this.orders = orders;
        this.clientOrderIds = clientOrderIds;
        this.checkpoints = checkpoints;
    }

    /**
     * Opens the store in {@code dir}, sized for {@code maxOrders} orders (the files are sparse, so
     * unused capacity costs address space, not disk).
     */
    public static OrderStore open(Path dir, long maxOrders) throws IOException {
        Files.createDirectories(dir);
        Path marker = dir.resolve(CLEAN_SHUTDOWN);
        boolean crashed = Files.exists(dir.resolve("orders.dat")) && !Files.exists(marker);
        if (crashed) {
            LOG.warn("state in {} was not closed cleanly: recovering its maps, then replaying from checkpoints", dir);
        }
        Files.deleteIfExists(marker);
        ChronicleMap<Long, byte[]> orders = persisted(ChronicleMap.of(Long.class, byte[].class)
                .name("orders").entries(maxOrders).averageValueSize(96), dir.resolve("orders.dat"), crashed);
        ChronicleMap<String, Long> clientOrderIds = persisted(ChronicleMap.of(String.class, Long.class)
                .name("client-order-ids").entries(maxOrders).averageKeySize(40), dir.resolve("client-order-ids.dat"), crashed);
        ChronicleMap<Integer, Long> checkpoints = persisted(ChronicleMap.of(Integer.class, Long.class)
                .name("checkpoints").entries(4096), dir.resolve("checkpoints.dat"), crashed);
        return new OrderStore(dir, orders, clientOrderIds, checkpoints);
    }

    private static <K, V> ChronicleMap<K, V> persisted(
            net.openhft.chronicle.map.ChronicleMapBuilder<K, V> builder, Path file, boolean recover) throws IOException {
        if (recover && Files.exists(file)) {
            return builder.recoverPersistedTo(file.toFile(), true,
                    corruption -> LOG.warn("{}: repaired: {}", file.getFileName(), corruption.message()));
        }
        return builder.createPersistedTo(file.toFile());
    }

    public Optional<Order> order(OrderId id) {
        byte[] bytes = orders.get(id.packed());
        return bytes == null ? Optional.empty() : Optional.of(OrderCodec.decode(bytes));
    }

    public void put(Order order) {
        orders.put(order.id().packed(), OrderCodec.encode(order));
    }

    /** The order placed with this {@code (account, clientOrderId)}, if any. */
    public Optional<OrderId> byClientOrderId(String account, String clientOrderId) {
        Long packed = clientOrderIds.get(clientKey(account, clientOrderId));
        return packed == null ? Optional.empty() : Optional.of(OrderId.unpack(packed));
    }

    public void indexClientOrderId(String account, String clientOrderId, OrderId id) {
        clientOrderIds.put(clientKey(account, clientOrderId), id.packed());
    }

    /** The next offset of {@code partition} to apply: everything before it is in this store. */
    public long checkpoint(int partition) {
        Long next = checkpoints.get(partition);
        return next == null ? 0 : next;
    }

    public void checkpoint(int partition, long nextOffset) {
        checkpoints.put(partition, nextOffset);
    }

    public long orderCount() {
        return orders.longSize();
    }

    private static String clientKey(String account, String clientOrderId) {
        // U+0000 cannot appear in either part (the API refuses control characters).
        return account + '\u0000' + clientOrderId;
    }

    @Override
    public void close() throws IOException {
        orders.close();
        clientOrderIds.close();
        checkpoints.close();
        Files.createFile(dir.resolve(CLEAN_SHUTDOWN));
    }
}
