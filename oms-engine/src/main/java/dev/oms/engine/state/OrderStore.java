package dev.oms.engine.state;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import net.openhft.chronicle.map.ChronicleMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's state, persisted in Chronicle Map files under one directory: orders by id, the
 * {@code (account, symbol, clientOrderId)} index, positions by account and symbol, and per-partition
 * checkpoints (the next offset to apply) and trading days. It holds open orders and those done on
 * their partition's trading day: the batch that begins a day removes the others.
 *
 * <p>The files make restarts fast; the log stays the truth. After a crash the maps are recovered,
 * and the engine replays each partition from its checkpoint over the state as of that checkpoint
 * (a batch's writes land all or nothing, see {@link #commit}), so state equals a full replay. That
 * is what makes applying a command again safe: a repeated placement is recognised by its
 * clientOrderId, but a cancel or replace applied over state that already holds later commands
 * would act on the later state. A marker file tells a clean shutdown from a crash.
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
    private final ChronicleMap<String, Long> positions;
    private final ChronicleMap<Long, Long> deadLettered;

    private final long maxOrders;
    private final OrderIndex index = new OrderIndex();

    private OrderStore(Path dir, long maxOrders, ChronicleMap<Long, byte[]> orders, ChronicleMap<String, Long> clientOrderIds,
                       ChronicleMap<Integer, Long> checkpoints, ChronicleMap<String, Long> positions,
                       ChronicleMap<Long, Long> deadLettered) {
        this.maxOrders = maxOrders;
        this.deadLettered = deadLettered;
        this.dir = dir;
        this.orders = orders;
        this.clientOrderIds = clientOrderIds;
        this.checkpoints = checkpoints;
        this.positions = positions;
    }

    /**
     * Opens the store in {@code dir}, sized for {@code maxOrders} orders. Chronicle Map writes its
     * files in full when it makes them (about 230 bytes of disk per order of capacity), so capacity
     * costs disk and the first start's time.
     */
    public static OrderStore open(Path dir, long maxOrders) throws IOException {
        Files.createDirectories(dir);
        Path marker = dir.resolve(CLEAN_SHUTDOWN);
        boolean crashed = Files.exists(dir.resolve("orders.dat")) && !Files.exists(marker);
        if (crashed && machineRestarted(dir)) {
            // The maps live in the page cache and are not fsync'd: after a power loss or a kernel
            // crash they may hold any mix of old and new pages. Only the log is trustworthy then.
            LOG.warn("state in {} was not closed cleanly and the machine has restarted since: discarding it and "
                    + "rebuilding it from the log", dir);
            for (String file : List.of("orders.dat", "client-order-ids.dat", "checkpoints.dat", "positions.dat",
                    "dead-lettered.dat")) {
                Files.deleteIfExists(dir.resolve(file));
            }
            crashed = false;
        } else if (crashed) {
            LOG.warn("state in {} was not closed cleanly: recovering its maps, then replaying from checkpoints", dir);
        }
        Files.deleteIfExists(marker);
        recordBootId(dir);
        ChronicleMap<Long, byte[]> orders = persisted(ChronicleMap.of(Long.class, byte[].class)
                .name("orders").entries(maxOrders).averageValueSize(96), dir.resolve("orders.dat"), crashed);
        ChronicleMap<String, Long> clientOrderIds = persisted(ChronicleMap.of(String.class, Long.class)
                .name("client-order-ids").entries(maxOrders).averageKeySize(40), dir.resolve("client-order-ids.dat"), crashed);
        ChronicleMap<Integer, Long> checkpoints = persisted(ChronicleMap.of(Integer.class, Long.class)
                .name("checkpoints").entries(4096), dir.resolve("checkpoints.dat"), crashed);
        ChronicleMap<String, Long> positions = persisted(ChronicleMap.of(String.class, Long.class)
                .name("positions").entries(Math.max(1024, maxOrders / 4)).averageKeySize(40), dir.resolve("positions.dat"), crashed);
        ChronicleMap<Long, Long> deadLettered = persisted(ChronicleMap.of(Long.class, Long.class)
                .name("dead-lettered").entries(Math.max(1024, maxOrders / 16)), dir.resolve("dead-lettered.dat"), crashed);
        migrateClientOrderIds(orders, clientOrderIds, checkpoints);
        rebuildWithoutTradingDays(dir, orders, checkpoints);
        return new OrderStore(dir, maxOrders, orders, clientOrderIds, checkpoints, positions, deadLettered);
    }

    /** False for a key of an earlier build's index: {@code account, clientOrderId}, one separator. */
    private static boolean isSubmissionKey(String key) {
        return key.indexOf('\u0000') != key.lastIndexOf('\u0000');
    }

    /** The index key of the order stored under {@code id}, or null when there is none. */
    private static String submissionKeyOf(ChronicleMap<Long, byte[]> orders, long id) {
        byte[] order = orders.get(id);
        if (order == null) {
            return null;
        }
        Order o = OrderCodec.decode(order);
        return submissionKey(o.account(), o.symbol(), o.clientOrderId());
    }

    /** Under this key the checkpoint map holds the layout of the maps: 2 since the index has the symbol in its keys. */
    private static final int LAYOUT = Integer.MIN_VALUE;
    private static final long SYMBOL_IN_INDEX = 2;
    /** Layout 3: the store holds each partition's trading day, and no done order of an earlier one. */
    private static final long TRADING_DAYS = 3;

    /**
     * Rewrites an index of an earlier build, keyed {@code account, clientOrderId}, with the symbol in
     * its keys. Every order has its entry (placed or rejected, it was indexed; an order whose entry
     * a race of that build overwrote gets one back), so the entries are made anew from the orders,
     * one at a time, each earlier key removed as its order's new one is put: nothing is held on the
     * heap, and the map never holds more entries than before. Done again from the start if a stop
     * cuts it short: the layout is noted last. An order record that cannot be read leaves its
     * partition marked as cut short, so that its worker rebuilds it from the log.
     */
    private static void migrateClientOrderIds(ChronicleMap<Long, byte[]> orders, ChronicleMap<String, Long> clientOrderIds,
                                              ChronicleMap<Integer, Long> checkpoints) {
        Long layout = checkpoints.get(LAYOUT);
        if (layout != null && layout >= SYMBOL_IN_INDEX) {
            return;
        }
        if (!clientOrderIds.isEmpty()) {
            LOG.info("rewriting the clientOrderId index of an earlier build ({} entries) with each order's symbol in its key",
                    clientOrderIds.size());
            orders.forEachEntry(entry -> {
                long id = entry.key().get();
                try {
                    Order o = OrderCodec.decode(entry.value().get());
                    clientOrderIds.put(submissionKey(o.account(), o.symbol(), o.clientOrderId()), id);
                    clientOrderIds.remove(o.account() + '\u0000' + o.clientOrderId());
                } catch (RuntimeException e) {
                    int partition = OrderId.partitionOf(id);
                    LOG.warn("order {} of the store cannot be read ({}): orders-{} is rebuilt from its log", OrderId.unpack(id),
                            e.toString(), partition);
                    Long next = checkpoints.get(partition);
                    if (next == null || next >= 0) {
                        checkpoints.put(partition, inProgress(next == null ? 0 : next));
                    }
                }
            });
            clientOrderIds.keySet().removeIf(key -> !isSubmissionKey(key)); // of orders no longer stored
        }
        checkpoints.put(LAYOUT, SYMBOL_IN_INDEX);
    }

    /**
     * A store of a build before trading days keeps every done order and notes no day: left so, it
     * would differ from what a replay of the log makes (where each day's first record removed the
     * orders done before it), and a replay is what a rebuild, a new node or a power loss falls back
     * on. So its partitions are rebuilt from their logs, once, as after a write cut short: marked in
     * progress, their redo files dropped.
     */
    private static void rebuildWithoutTradingDays(Path dir, ChronicleMap<Long, byte[]> orders,
                                                  ChronicleMap<Integer, Long> checkpoints) throws IOException {
        Long layout = checkpoints.get(LAYOUT);
        if (layout != null && layout >= TRADING_DAYS) {
            return;
        }
        if (!orders.isEmpty()) {
            List<Integer> partitions = checkpoints.keySet().stream().filter(key -> key >= 0).sorted().toList();
            LOG.warn("the state in {} was written by a build without trading days: rebuilding orders-{} from the log", dir,
                    partitions);
            for (int partition : partitions) {
                long next = checkpoints.get(partition);
                if (next >= 0) {
                    checkpoints.put(partition, inProgress(next));
                }
                Files.deleteIfExists(redoFile(dir, partition));
            }
        }
        checkpoints.put(LAYOUT, TRADING_DAYS);
    }

    // Under these keys the checkpoint map holds settings a store is written in for good.
    private static final int PRICE_DECIMALS = Integer.MIN_VALUE + 1;
    private static final int MAX_ORDERS = Integer.MIN_VALUE + 2;

    /**
     * Refuses settings other than those the store was written with. In another price scale every
     * stored price and limit would be off by a power of ten, silently; with another capacity each
     * partition's share changes, and with it which orders a replay finds the store full for. A
     * store that has them not noted (new, or of an earlier build) takes these.
     */
    public void requireWrittenWith(int priceDecimals) {
        requireSame(PRICE_DECIMALS, "engine.price-decimals", priceDecimals,
                "(a command whose price has more decimals than the new scale is then dead-lettered)");
        requireSame(MAX_ORDERS, "engine.max-orders", maxOrders, "(an order past a partition's new share is then dead-lettered)");
    }

    private void requireSame(int key, String setting, long value, String consequence) {
        Long noted = checkpoints.get(key);
        if (noted == null) {
            checkpoints.put(key, value);
        } else if (noted != value) {
            throw new IllegalStateException("the engine's state in " + dir + " was written with " + setting + " " + noted
                    + ", and it is " + value + " now: set it back, or delete the state directory to rebuild it from the log"
                    + " with the new value " + consequence + "; a replay may then decide otherwise than the execution"
                    + " reports already on the log say");
        }
    }

    private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");

    /** True when the kernel has booted since the state was opened (Linux's boot id changed). */
    private static boolean machineRestarted(Path dir) throws IOException {
        Path recorded = dir.resolve("boot-id");
        if (!Files.isReadable(BOOT_ID) || !Files.exists(recorded)) {
            return false;
        }
        return !Files.readString(recorded).trim().equals(Files.readString(BOOT_ID).trim());
    }

    private static void recordBootId(Path dir) throws IOException {
        if (Files.isReadable(BOOT_ID)) {
            Files.writeString(dir.resolve("boot-id"), Files.readString(BOOT_ID).trim());
        }
    }

    private static <K, V> ChronicleMap<K, V> persisted(
            net.openhft.chronicle.map.ChronicleMapBuilder<K, V> builder, Path file, boolean recover) throws IOException {
        // Nothing here reads what put or remove replaced, and returning it decodes (copies) the old value.
        builder.putReturnsNull(true).removeReturnsNull(true);
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

    /** The order placed with this {@code (account, symbol, clientOrderId)}, if any. */
    public Optional<OrderId> byClientOrderId(String account, String symbol, String clientOrderId) {
        Long packed = clientOrderIds.get(submissionKey(account, symbol, clientOrderId));
        return packed == null ? Optional.empty() : Optional.of(OrderId.unpack(packed));
    }

    public void indexClientOrderId(String account, String symbol, String clientOrderId, OrderId id) {
        clientOrderIds.put(submissionKey(account, symbol, clientOrderId), id.packed());
        if (index.wanted()) {
            index.add(List.of(new OrderIndex.Entry(id.packed(), account, symbol)));
        }
    }


    /** The next offset of {@code partition} to apply: everything before it is in this store. */
    public long checkpoint(int partition) {
        Long next = checkpoints.get(partition);
        return next == null || next < 0 ? 0 : next;
    }

    public void checkpoint(int partition, long nextOffset) {
        checkpoints.put(partition, nextOffset);
    }

    // A batch's writes touch many entries and Chronicle Map has no transactions, so a worker marks
    // its flush in progress (the checkpoint, negated: the offset of the batch's first command) and
    // clears the mark with the next checkpoint. A mark found at start means a flush was cut short:
    // the partition is rebuilt.
    private static long inProgress(long offset) {
        return -offset - 1;
    }

    /** A batch that removes no order and begins no trading day: see the full {@link #commit}. */
    public void commit(int partition, long fromOffset, long nextOffset, List<Order> changedOrders,
                       java.util.Map<String, Long> clientOrderIds, java.util.Map<String, Long> positions,
                       java.util.Map<Long, Long> deadLettered) throws IOException {
        commit(partition, fromOffset, nextOffset, changedOrders, clientOrderIds, positions, deadLettered, NO_ORDERS, NO_DAY);
    }

    static final long[] NO_ORDERS = {};
    /** No trading day: none begun in a batch, or none noted for a partition yet. */
    public static final long NO_DAY = Long.MIN_VALUE;

    /**
     * Writes one worker batch's changes to the maps all or nothing, and moves the partition's
     * checkpoint from {@code fromOffset} to {@code nextOffset}. The changes go first to a redo file
     * (as durable as the maps: the page cache), then the maps are marked in progress, changed, and
     * the checkpoint moved; a process that dies in between finishes the job from the redo file at
     * its next start ({@link #recover}) instead of rebuilding the partition from its log. Values are
     * absolute (whole orders, positions), and removing what is gone does nothing, so writing a
     * batch twice is harmless.
     *
     * @param removedOrders orders that leave the store, with their clientOrderId entries (done
     *                      orders, when the partition's trading day changed)
     * @param tradingDay    the partition's trading day from this batch on, or {@link #NO_DAY} when
     *                      the batch began none
     */
    public void commit(int partition, long fromOffset, long nextOffset, List<Order> changedOrders,
                       java.util.Map<String, Long> clientOrderIds, java.util.Map<String, Long> positions,
                       java.util.Map<Long, Long> deadLettered, long[] removedOrders, long tradingDay) throws IOException {
        List<byte[]> encoded = writeRedo(partition, fromOffset, nextOffset, changedOrders, clientOrderIds, positions,
                deadLettered, removedOrders, tradingDay);
        beginApply(partition, fromOffset);
        // Orders before their client-order-id index: the index never names a missing order.
        for (int i = 0; i < changedOrders.size(); i++) {
            orders.put(changedOrders.get(i).id().packed(), encoded.get(i));
        }
        clientOrderIds.forEach(this.clientOrderIds::put);
        positions.forEach(this.positions::put);
        indexNew(clientOrderIds);
        endDay(partition, deadLettered, removedOrders, tradingDay);
        checkpoint(partition, nextOffset);
        // The redo file now holds no batch. It stays, to be written over by the next: a file made
        // and deleted per batch cost a sixth of the worker's time and journal writes that every fsync waited for.
        redoChannel(partition).write(java.nio.ByteBuffer.allocate(4), 0);
        unfinishedRedo.remove(partition);
    }

    /**
     * The last writes of a batch: a trading day begun, which removes the partition's dead-letter
     * marks (a later command naming such an order finds none, as it finds no done order of an
     * earlier day), then the batch's own marks, the orders removed, the day.
     */
    private void endDay(int partition, java.util.Map<Long, Long> marks, long[] removedOrders, long tradingDay) {
        if (tradingDay != NO_DAY) {
            deadLettered.keySet().removeIf(id -> OrderId.partitionOf(id) == partition);
        }
        marks.forEach(deadLettered::put);
        remove(removedOrders);
        if (tradingDay != NO_DAY) {
            checkpoints.put(tradingDayKey(partition), tradingDay);
        }
    }

    /**
     * Removes orders and their clientOrderId entries, each entry first (the index never names a
     * missing order), and only where it still names that order: a NewOrder of a later day may have
     * taken its clientOrderId in the same batch.
     */
    private void remove(long[] ids) {
        List<OrderIndex.Entry> removed = new java.util.ArrayList<>(ids.length);
        for (long id : ids) {
            byte[] bytes = orders.get(id);
            if (bytes != null) {
                Order order = OrderCodec.decode(bytes);
                clientOrderIds.remove(submissionKey(order.account(), order.symbol(), order.clientOrderId()), id);
                orders.remove(id);
                removed.add(new OrderIndex.Entry(id, order.account(), order.symbol()));
            }
        }
        if (!removed.isEmpty() && index.wanted()) {
            index.remove(removed);
        }
    }

    /** Indexes for queries the orders a batch placed: those it gave a clientOrderId entry. */
    private void indexNew(java.util.Map<String, Long> submissions) {
        if (submissions.isEmpty() || !index.wanted()) { // after the orders are stored: see OrderIndex#wanted
            return;
        }
        List<OrderIndex.Entry> added = new java.util.ArrayList<>(submissions.size());
        submissions.forEach((key, id) -> {
            int account = key.indexOf('\u0000');
            int symbol = key.indexOf('\u0000', account + 1);
            if (symbol > account) { // else a key of an earlier build's layout, made anew at open
                added.add(new OrderIndex.Entry(id, key.substring(0, account), key.substring(account + 1, symbol)));
            }
        });
        index.add(added);
    }

    // The checkpoint map holds, under these keys, each partition's trading day (TradingDay.of):
    // state, since it decides when the partition's done orders leave (a replay must find it as it was).
    private static int tradingDayKey(int partition) {
        return Integer.MIN_VALUE + 16 + partition;
    }

    /** The trading day of {@code partition}'s last command applied, or {@link #NO_DAY} before its first. */
    public long tradingDay(int partition) {
        Long day = checkpoints.get(tradingDayKey(partition));
        return day == null ? NO_DAY : day;
    }

    /** {@link #writeRedo(int, long, long, List, java.util.Map, java.util.Map, java.util.Map, long[], long)} of a batch that removes nothing and begins no day. */
    List<byte[]> writeRedo(int partition, long fromOffset, long nextOffset, List<Order> changedOrders,
                           java.util.Map<String, Long> clientOrderIds, java.util.Map<String, Long> positions,
                           java.util.Map<Long, Long> deadLettered) throws IOException {
        return writeRedo(partition, fromOffset, nextOffset, changedOrders, clientOrderIds, positions, deadLettered,
                NO_ORDERS, NO_DAY);
    }

    /**
     * The first step of {@link #commit}: the batch written over the start of the partition's redo
     * file, {@code magic, length, body, CRC-32C of the three}. Returns the orders encoded.
     */
    List<byte[]> writeRedo(int partition, long fromOffset, long nextOffset, List<Order> changedOrders,
                           java.util.Map<String, Long> clientOrderIds, java.util.Map<String, Long> positions,
                           java.util.Map<Long, Long> deadLettered, long[] removedOrders, long tradingDay) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(256 + changedOrders.size() * 128);
        java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
        out.writeInt(REDO_MAGIC);
        out.writeInt(0); // the body's length, once known
        out.writeInt(partition);
        out.writeLong(fromOffset);
        out.writeLong(nextOffset);
        out.writeInt(changedOrders.size());
        List<byte[]> encoded = new java.util.ArrayList<>(changedOrders.size());
        for (Order order : changedOrders) {
            byte[] value = OrderCodec.encode(order);
            encoded.add(value);
            out.writeLong(order.id().packed());
            out.writeInt(value.length);
            out.write(value);
        }
        writeStrings(out, clientOrderIds);
        writeStrings(out, positions);
        out.writeInt(deadLettered.size());
        for (var entry : deadLettered.entrySet()) {
            out.writeLong(entry.getKey());
            out.writeLong(entry.getValue());
        }
        out.writeInt(removedOrders.length);
        for (long id : removedOrders) {
            out.writeLong(id);
        }
        out.writeLong(tradingDay);
        java.nio.ByteBuffer redo = java.nio.ByteBuffer.allocate(bytes.size() + 4).put(bytes.toByteArray());
        redo.putInt(4, bytes.size() - 8);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(redo.array(), 0, bytes.size());
        redo.putInt((int) crc.getValue()).flip();
        FileChannel channel = redoChannel(partition);
        unfinishedRedo.add(partition);
        for (long position = 0; redo.hasRemaining(); ) {
            position += channel.write(redo, position);
        }
        return encoded;
    }

    private static final int REDO_MAGIC = 0x6f6d7354; // "omsT"
    // Earlier builds': "omsS" has no removed orders and trading day at the end, "omsR" no length either.
    private static final int WITHOUT_REMOVALS_MAGIC = 0x6f6d7353;
    private static final int EARLIER_REDO_MAGIC = 0x6f6d7352;

    private final java.util.concurrent.ConcurrentHashMap<Integer, FileChannel> redoChannels =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** Partitions whose redo file holds a batch not yet in the maps (a commit that failed part way). */
    private final java.util.Set<Integer> unfinishedRedo = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private Path redoFile(int partition) {
        return redoFile(dir, partition);
    }

    private static Path redoFile(Path dir, int partition) {
        return dir.resolve("redo-" + partition);
    }

    private FileChannel redoChannel(int partition) {
        return redoChannels.computeIfAbsent(partition, p -> {
            try {
                return FileChannel.open(redoFile(p), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private static void writeStrings(java.io.DataOutputStream out, java.util.Map<String, Long> entries) throws IOException {
        out.writeInt(entries.size());
        for (var entry : entries.entrySet()) {
            out.writeUTF(entry.getKey());
            out.writeLong(entry.getValue());
        }
    }

    private static java.util.Map<String, Long> readStrings(java.io.DataInputStream in) throws IOException {
        int n = in.readInt();
        java.util.Map<String, Long> entries = new java.util.LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            entries.put(in.readUTF(), in.readLong());
        }
        return entries;
    }

    /**
     * Finishes a {@link #commit} of {@code partition} that a stopped process left half done, from its
     * redo file; true when it did. A redo file that is incomplete, or whose commit never started or
     * already finished, is dropped.
     */
    public boolean recover(int partition) throws IOException {
        Path redo = redoFile(partition);
        if (!Files.exists(redo)) {
            return false;
        }
        byte[] bytes = Files.readAllBytes(redo);
        boolean finished = false;
        java.io.DataInputStream in = redoBody(bytes);
        if (in != null) {
            if (in.readInt() == partition) {
                long from = in.readLong();
                long next = in.readLong();
                if (interrupted(partition) && interruptedAt(partition) == from) {
                    finished = replay(partition, next, in, java.nio.ByteBuffer.wrap(bytes).getInt(0) == REDO_MAGIC);
                    if (finished) {
                        LOG.info("orders-{}: finished writing the state of offsets {} to {} from its redo file",
                                partition, from, next);
                    }
                }
            }
        }
        Files.delete(redo);
        FileChannel open = redoChannels.remove(partition); // a worker made again for the partition (a leader again)
        if (open != null) {
            open.close();
        }
        unfinishedRedo.remove(partition);
        return finished;
    }

    /**
     * The body of the batch a redo file holds, from its partition on, or null when it holds none
     * whole: none written (or its commit done), or one torn by a process that died writing it.
     */
    private static java.io.DataInputStream redoBody(byte[] bytes) {
        if (bytes.length < 12) {
            return null;
        }
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
        int magic = buffer.getInt(0);
        int end; // where the CRC lies, after the magic, the length and the body
        int bodyStart;
        if (magic == REDO_MAGIC || magic == WITHOUT_REMOVALS_MAGIC) {
            int length = buffer.getInt(4);
            if (length < 0 || length > bytes.length - 12) {
                return null;
            }
            end = 8 + length;
            bodyStart = 8;
        } else if (magic == EARLIER_REDO_MAGIC) { // the whole file is one batch and its CRC
            end = bytes.length - 4;
            bodyStart = 4;
        } else {
            return null;
        }
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes, 0, end);
        if (buffer.getInt(end) != (int) crc.getValue()) {
            return null;
        }
        return new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes, bodyStart, end - bodyStart));
    }

    /**
     * Applies a redo file's changes and moves the checkpoint; false, leaving the in-progress mark
     * (so the partition is rebuilt from its log), when the maps refuse them again.
     */
    private boolean replay(int partition, long next, java.io.DataInputStream in, boolean withRemovals) throws IOException {
        try {
            int count = in.readInt();
            for (int i = 0; i < count; i++) {
                long key = in.readLong();
                byte[] value = new byte[in.readInt()];
                in.readFully(value);
                orders.put(key, value);
            }
            java.util.Map<String, Long> submissions = new java.util.HashMap<>();
            readStrings(in).forEach((key, id) -> {
                // A redo file an earlier build left: its keys get the symbol, as the index's did at open.
                String rewritten = isSubmissionKey(key) ? key : submissionKeyOf(orders, id);
                if (rewritten != null) {
                    clientOrderIds.put(rewritten, id);
                    submissions.put(rewritten, id);
                }
            });
            indexNew(submissions);
            readStrings(in).forEach(positions::put);
            int dead = in.readInt();
            java.util.Map<Long, Long> marks = new java.util.HashMap<>();
            for (int i = 0; i < dead; i++) {
                marks.put(in.readLong(), in.readLong());
            }
            long[] removed = withRemovals ? new long[in.readInt()] : NO_ORDERS;
            for (int i = 0; i < removed.length; i++) {
                removed[i] = in.readLong();
            }
            endDay(partition, marks, removed, withRemovals ? in.readLong() : NO_DAY);
            checkpoint(partition, next);
            return true;
        } catch (RuntimeException e) {
            LOG.warn("orders-{}: its redo file could not be applied ({}); the partition is rebuilt from its log", partition,
                    e.toString());
            return false;
        }
    }

    /** Marks the state of the commands of {@code partition} from {@code offset} on as being written. */
    public void beginApply(int partition, long offset) {
        checkpoints.put(partition, inProgress(offset));
    }

    /** True when state of {@code partition} was being written when the process stopped. */
    public boolean interrupted(int partition) {
        Long value = checkpoints.get(partition);
        return value != null && value < 0;
    }

    /** The offset of the first command whose state an interrupted partition was writing. */
    public long interruptedAt(int partition) {
        return -checkpoints.get(partition) - 1;
    }

    /**
     * Forgets everything {@code partition} wrote (its orders, their client ids, the positions in its
     * symbols) and its checkpoint, so that a replay from offset 0 rebuilds it exactly.
     */
    public void wipe(int partition, java.util.function.ToIntFunction<String> partitionOfSymbol) {
        orders.keySet().removeIf(key -> OrderId.unpack(key).partition() == partition);
        deadLettered.keySet().removeIf(key -> OrderId.unpack(key).partition() == partition);
        clientOrderIds.values().removeIf(id -> OrderId.unpack(id).partition() == partition);
        positions.keySet().removeIf(key -> partitionOfSymbol.applyAsInt(key.substring(key.indexOf('\u0000') + 1)) == partition);
        checkpoints.remove(partition);
        checkpoints.remove(publishedKey(partition));
        checkpoints.remove(tradingDayKey(partition));
        index.drop(); // the replay adds the partition's ids again: built anew at the next query
    }

    // The checkpoint map also holds, under key -1 - partition, the offset below which every output
    // record (execution reports, trades) of the partition's commands is durable.
    private static int publishedKey(int partition) {
        return -1 - partition;
    }

    /** Every output record of the commands before this offset is durable. */
    public long publishedUpTo(int partition) {
        Long offset = checkpoints.get(publishedKey(partition));
        return offset == null ? 0 : offset;
    }

    public void publishedUpTo(int partition, long offset) {
        checkpoints.put(publishedKey(partition), offset);
    }

    /** Notes that the command at {@code id} went to the dead-letter topic (commands naming it must follow it there). */
    public void markDeadLettered(OrderId id, long failedAt) {
        deadLettered.put(id.packed(), failedAt);
    }

    public boolean isDeadLettered(OrderId id) {
        return deadLettered.containsKey(id.packed());
    }

    /** The net position of an account in a symbol: bought minus sold. */
    public long position(String account, String symbol) {
        Long position = positions.get(positionKey(account, symbol));
        return position == null ? 0 : position;
    }

    public void addPosition(String account, String symbol, long delta) {
        String key = positionKey(account, symbol);
        Long position = positions.get(key);
        positions.put(key, (position == null ? 0 : position) + delta);
    }

    /** Every position, account → symbol → net quantity. */
    public java.util.Map<String, java.util.Map<String, Long>> positions(String account) {
        java.util.Map<String, java.util.Map<String, Long>> all = new java.util.TreeMap<>();
        positions.forEach((key, value) -> {
            int split = key.indexOf('\u0000');
            String owner = key.substring(0, split);
            if (account == null || account.equals(owner)) {
                all.computeIfAbsent(owner, a -> new java.util.TreeMap<>()).put(key.substring(split + 1), value);
            }
        });
        return all;
    }

    /**
     * The first {@code limit} orders in id order after {@code after} (null: from the first) of the
     * partitions {@code partitions} passes, with this account, symbol and status (each null: any):
     * from the {@link OrderIndex} once it is built, until then by a scan.
     */
    public List<Order> orders(String account, String symbol, dev.oms.engine.order.OrdStatus status, OrderId after,
                              int limit, java.util.function.IntPredicate partitions) {
        if (limit < 1) {
            return List.of();
        }
        // A query by status alone could visit every order by id, slower than a scan when few match.
        if (account != null || symbol != null || status == null) {
            if (index.ready()) {
                return indexed(account, symbol, status, after, limit, partitions);
            }
            index.buildIfAbsent(this::indexEntries);
        }
        return scan(account, symbol, status, after, limit, partitions);
    }

    /** {@link #orders} from the index: the candidates it names, read by id. */
    List<Order> indexed(String account, String symbol, dev.oms.engine.order.OrdStatus status, OrderId after, int limit,
                        java.util.function.IntPredicate partitions) {
        List<Order> found = new java.util.ArrayList<>();
        index.forEach(account, symbol, after == null ? Long.MIN_VALUE : after.packed(), id -> {
            byte[] bytes = partitions.test(OrderId.partitionOf(id)) ? orders.get(id) : null;
            Order order = bytes == null ? null : OrderCodec.decode(bytes); // null: removed since
            if (order != null && (account == null || order.account().equals(account))
                    && (symbol == null || order.symbol().equals(symbol)) && (status == null || order.status() == status)) {
                found.add(order);
            }
            return found.size() < limit;
        });
        return found;
    }

    /** {@link #orders} by a scan of the whole store, each entry read in place and only those returned decoded. */
    List<Order> scan(String account, String symbol, dev.oms.engine.order.OrdStatus status, OrderId after, int limit,
                     java.util.function.IntPredicate partitions) {
        byte[] accountBytes = account == null ? null : account.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] symbolBytes = symbol == null ? null : symbol.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        long from = after == null ? Long.MIN_VALUE : after.packed();
        java.util.TreeMap<Long, Order> found = new java.util.TreeMap<>();
        orders.forEachEntry(entry -> {
            var value = entry.value();
            long id = OrderCodec.packedId(value.bytes(), value.offset(), value.size());
            if (id <= from || found.size() == limit && id > found.lastKey() || !partitions.test(OrderId.partitionOf(id))
                    || !OrderCodec.matches(value.bytes(), value.offset(), value.size(), accountBytes, symbolBytes, status)) {
                return;
            }
            found.put(id, OrderCodec.decode(value.get()));
            if (found.size() > limit) {
                found.pollLastEntry();
            }
        });
        return List.copyOf(found.values());
    }

    /** True once the query index is built (the first query that needs it starts it). */
    boolean indexReady() {
        return index.ready();
    }

    /** Every order's id, account and symbol, for the query index: a scan, each entry read in place. */
    private List<OrderIndex.Entry> indexEntries() {
        List<OrderIndex.Entry> entries = new java.util.ArrayList<>(Math.toIntExact(Math.min(orders.longSize(), Integer.MAX_VALUE - 8)));
        java.util.Map<String, String> strings = new java.util.HashMap<>(); // one instance each: the lists' keys
        orders.forEachEntry(entry -> {
            var value = entry.value();
            long id = OrderCodec.packedId(value.bytes(), value.offset(), value.size());
            String[] accountAndSymbol = OrderCodec.accountAndSymbol(value.bytes(), value.offset(), value.size());
            entries.add(new OrderIndex.Entry(id, strings.computeIfAbsent(accountAndSymbol[0], s -> s),
                    strings.computeIfAbsent(accountAndSymbol[1], s -> s)));
        });
        return entries;
    }

    /**
     * What a worker restores its partitions from: per partition, its open orders in queue order, how
     * many orders (open or not) it holds, and the ids of its done orders (which leave the store when
     * its next trading day begins).
     */
    public record Restored(java.util.Map<Integer, OpenOrders> open, java.util.Map<Integer, Long> orderCounts,
                           java.util.Map<Integer, org.agrona.collections.LongArrayList> done) {
    }

    /**
     * {@link Restored} for each of {@code partitions}: one scan of the store, each entry's id and
     * status read in place, and only open orders copied out and decoded.
     */
    public Restored openOrders(int[] partitions) {
        java.util.Map<Integer, OpenOrders> open = new java.util.HashMap<>();
        org.agrona.collections.Int2ObjectHashMap<long[]> counts = new org.agrona.collections.Int2ObjectHashMap<>();
        java.util.Map<Integer, org.agrona.collections.LongArrayList> done = new java.util.HashMap<>();
        for (int partition : partitions) {
            open.put(partition, new OpenOrders());
            counts.put(partition, new long[1]);
            done.put(partition, new org.agrona.collections.LongArrayList());
        }
        orders.forEachEntry(entry -> {
            var value = entry.value();
            long id = OrderCodec.packedId(value.bytes(), value.offset(), value.size());
            int partition = OrderId.partitionOf(id);
            long[] count = counts.get(partition);
            if (count != null) {
                count[0]++;
                if (OrderCodec.isOpen(value.bytes(), value.offset())) {
                    OrderCodec.decodeInto(value.bytes(), value.offset(), value.size(), open.get(partition));
                } else if (OrderCodec.isDone(value.bytes(), value.offset())) {
                    done.get(partition).addLong(id);
                }
            }
        });
        open.values().forEach(OpenOrders::sortByQueue);
        java.util.Map<Integer, Long> orderCounts = new java.util.HashMap<>();
        counts.forEach((partition, count) -> orderCounts.put(partition, count[0]));
        return new Restored(open, orderCounts, done);
    }

    /** How many orders the store was sized for ({@code engine.max-orders}). */
    public long maxOrders() {
        return maxOrders;
    }

    /** The key of a position: an account's in a symbol. */
    static String positionKey(String account, String symbol) {
        // U+0000 cannot appear in either part (the API refuses control characters).
        return account + '\u0000' + symbol;
    }

    /**
     * The key of a submission in the clientOrderId index: the symbol is part of it, so that whether
     * a NewOrder repeats an earlier one is decided within its own partition, alike in every replay
     * (across partitions it would depend on which partition's worker came first).
     */
    static String submissionKey(String account, String symbol, String clientOrderId) {
        return account + '\u0000' + symbol + '\u0000' + clientOrderId;
    }

    @Override
    public void close() throws IOException {
        // Not the maps: Chronicle Map's own shutdown hook may have closed them already.
        for (var redo : redoChannels.entrySet()) {
            redo.getValue().close();
            if (!unfinishedRedo.contains(redo.getKey())) { // else the next start finishes the batch from it
                Files.deleteIfExists(redoFile(redo.getKey()));
            }
        }
        orders.close();
        clientOrderIds.close();
        checkpoints.close();
        positions.close();
        deadLettered.close();
        Files.createFile(dir.resolve(CLEAN_SHUTDOWN));
    }
}
