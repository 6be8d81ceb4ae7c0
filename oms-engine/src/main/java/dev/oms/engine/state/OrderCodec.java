package dev.oms.engine.state;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import net.openhft.chronicle.bytes.RandomDataInput;

/**
 * The binary form of an {@link Order} in the state store: fixed-width numbers, then the four
 * strings length-prefixed. Version byte first so a later layout can read older files. Version 2:
 * the order's terms are those it was placed with; version 3, for an order a replace changed, adds
 * the placed price and quantity after the strings (most orders are never replaced, and 16 more
 * bytes each made a restart that scans ten million of them a quarter slower).
 */
final class OrderCodec {
    private static final byte VERSION = 3;
    private static final byte VERSION_WITHOUT_PLACED_TERMS = 2;
    /** The placed price and quantity, after the strings. */
    private static final int PLACED_TERMS_SIZE = 2 * 8;
    // values() copies its array on every call: once per decoded order was measurable at restart.
    private static final Side[] SIDES = Side.values();
    private static final OrderType[] TYPES = OrderType.values();
    private static final TimeInForce[] TIMES_IN_FORCE = TimeInForce.values();
    private static final OrdStatus[] STATUSES = OrdStatus.values();

    private OrderCodec() {
    }

    static byte[] encode(Order o) {
        byte[] account = o.account().getBytes(StandardCharsets.UTF_8);
        byte[] clientOrderId = o.clientOrderId().getBytes(StandardCharsets.UTF_8);
        byte[] symbol = o.symbol().getBytes(StandardCharsets.UTF_8);
        byte[] reason = o.reason() == null ? new byte[0] : o.reason().getBytes(StandardCharsets.UTF_8);
        boolean replaced = o.placedPriceTicks() != o.priceTicks() || o.placedQuantity() != o.quantity();
        ByteBuffer b = ByteBuffer.allocate(1 + 8 + 4 * 1 + 8 * 5 + 4 * 2 + account.length + clientOrderId.length
                + symbol.length + reason.length + (replaced ? PLACED_TERMS_SIZE : 0));
        b.put(replaced ? VERSION : VERSION_WITHOUT_PLACED_TERMS).putLong(o.id().packed())
                .put((byte) o.side().ordinal()).put((byte) o.type().ordinal())
                .put((byte) o.timeInForce().ordinal()).put((byte) o.status().ordinal())
                .putLong(o.priceTicks()).putLong(o.quantity()).putLong(o.filledQuantity()).putLong(o.createdAt())
                .putLong(o.queuedAt());
        putString(b, account);
        putString(b, clientOrderId);
        putString(b, symbol);
        putString(b, reason);
        if (replaced) {
            b.putLong(o.placedPriceTicks()).putLong(o.placedQuantity());
        }
        return b.array();
    }

    /**
     * Whether the order encoded at {@code offset} of {@code in} (a map entry's value) is open, read
     * from its status byte in place.
     */
    static boolean isOpen(RandomDataInput in, long offset) {
        return readable(in.readByte(offset)) && Order.isOpen(STATUSES[in.readByte(offset + STATUS_AT)]);
    }

    /** Whether the order encoded at {@code offset} of {@code in} is done (filled, canceled, rejected, expired). */
    static boolean isDone(RandomDataInput in, long offset) {
        return readable(in.readByte(offset)) && Order.isDone(STATUSES[in.readByte(offset + STATUS_AT)]);
    }

    private static boolean readable(byte version) {
        return version == VERSION || version == VERSION_WITHOUT_PLACED_TERMS;
    }

    /** Bytes of a record whose four strings are empty: the fixed fields and the strings' lengths. */
    private static final int MIN_SIZE = 1 + 8 + 4 + 8 * 5 + 2 * 4;

    /**
     * The packed id of the order encoded in the {@code size} bytes at {@code offset} of {@code in},
     * read in place; refuses bytes that are not an order record of this layout.
     */
    static long packedId(RandomDataInput in, long offset, long size) {
        if (size < MIN_SIZE || !readable(in.readByte(offset))
                || in.readByte(offset) == VERSION && size < MIN_SIZE + PLACED_TERMS_SIZE) {
            throw new IllegalStateException("an entry of the order store is not an order record this build reads ("
                    + size + " bytes, version " + (size > 0 ? in.readByte(offset) : -1) + ")");
        }
        long id = 0;
        for (int i = 1; i <= Long.BYTES; i++) { // big-endian, as ByteBuffer wrote it
            id = id << 8 | (in.readByte(offset + i) & 0xFF);
        }
        return id;
    }

    /** Where the status byte is: after the version, the id, side, type and time in force. */
    private static final int STATUS_AT = 1 + 8 + 3;
    /** Where the strings begin: after the status and five longs. */
    private static final int STRINGS_AT = STATUS_AT + 1 + 8 * 5;

    /**
     * Whether the order encoded in the {@code size} bytes at {@code offset} of {@code in} has this
     * account, symbol and status (each null: any), read in place: a query scans the whole store, and
     * decoding every order was nearly all of its cost.
     */
    static boolean matches(RandomDataInput in, long offset, long size, byte[] account, byte[] symbol, OrdStatus status) {
        if (status != null && in.readByte(offset + STATUS_AT) != status.ordinal()) {
            return false;
        }
        long end = offset + size;
        long at = offset + STRINGS_AT;
        if (!sameString(in, at, end, account)) {
            return false;
        }
        at += 2 + stringLength(in, at, end);
        at += 2 + stringLength(in, at, end); // the clientOrderId
        return sameString(in, at, end, symbol);
    }

    /** The account and symbol of the order encoded in the {@code size} bytes at {@code offset} of {@code in}, read in place. */
    static String[] accountAndSymbol(RandomDataInput in, long offset, long size) {
        long end = offset + size;
        long at = offset + STRINGS_AT;
        int accountLength = stringLength(in, at, end);
        String account = utf8(in, at + 2, accountLength);
        at += 2 + accountLength;
        at += 2 + stringLength(in, at, end); // the clientOrderId
        return new String[] {account, utf8(in, at + 2, stringLength(in, at, end))};
    }

    private static String utf8(RandomDataInput in, long at, int length) {
        byte[] bytes = new byte[length];
        in.read(at, bytes, 0, length);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Whether the string at {@code at} is {@code expected} (null: any string). */
    private static boolean sameString(RandomDataInput in, long at, long end, byte[] expected) {
        if (expected == null) {
            return true;
        }
        if (stringLength(in, at, end) != expected.length) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if (in.readByte(at + 2 + i) != expected[i]) {
                return false;
            }
        }
        return true;
    }

    static Order decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte version = b.get();
        if (!readable(version)) {
            throw new IllegalStateException("order record version " + version + " is not readable by this build");
        }
        OrderId id = OrderId.unpack(b.getLong());
        Side side = SIDES[b.get()];
        OrderType type = TYPES[b.get()];
        TimeInForce tif = TIMES_IN_FORCE[b.get()];
        OrdStatus status = STATUSES[b.get()];
        long priceTicks = b.getLong();
        long quantity = b.getLong();
        long filled = b.getLong();
        long createdAt = b.getLong();
        long queuedAt = b.getLong();
        String account = getString(b);
        String clientOrderId = getString(b);
        String symbol = getString(b);
        String reason = getString(b);
        boolean placedTerms = version == VERSION;
        return new Order(id, account, clientOrderId, symbol, side, type, tif, priceTicks, quantity, filled,
                status, createdAt, queuedAt, reason.isEmpty() ? null : reason,
                placedTerms ? b.getLong() : priceTicks, placedTerms ? b.getLong() : quantity);
    }

    /**
     * Adds the book fields of the open order encoded at {@code offset} of {@code in} (a map entry's
     * value) to {@code open}, read in place: a restart reads millions of them, and copying each out
     * with its strings was most of the garbage it made.
     */
    static void decodeInto(RandomDataInput in, long offset, long size, OpenOrders open) {
        long key = packedId(in, offset, size);
        long end = offset + size - (in.readByte(offset) == VERSION ? PLACED_TERMS_SIZE : 0); // where the strings end
        long at = offset + 1;
        Side side = SIDES[in.readByte(at + 8)];
        TimeInForce tif = TIMES_IN_FORCE[in.readByte(at + 10)];
        at += 8 + 4; // id, side, type, time in force, status
        long priceTicks = bigEndianLong(in, at);
        long quantity = bigEndianLong(in, at + 8);
        long filled = bigEndianLong(in, at + 16);
        long createdAt = bigEndianLong(in, at + 24);
        long queuedAt = bigEndianLong(in, at + 32);
        at += 40;
        int accountLength = stringLength(in, at, end);
        int account = open.string(in, at + 2, accountLength);
        at += 2 + accountLength;
        at += 2 + stringLength(in, at, end); // the clientOrderId: no book needs it
        int symbolLength = stringLength(in, at, end);
        int symbol = open.string(in, at + 2, symbolLength);
        at += 2 + symbolLength;
        if (at + 2 + stringLength(in, at, end) != end) { // the reason, last
            throw new IllegalStateException("an order record of the store has bytes after its end");
        }
        open.add(key, account, symbol, side, tif, priceTicks, quantity, filled, createdAt, queuedAt);
    }

    /** A long as ByteBuffer wrote it (big-endian); RandomDataInput reads in the platform's order. */
    private static long bigEndianLong(RandomDataInput in, long at) {
        long value = in.readLong(at);
        return java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.BIG_ENDIAN ? value : Long.reverseBytes(value);
    }

    /** The length of the string at {@code at}, checked to end inside the record, which ends at {@code end}. */
    private static int stringLength(RandomDataInput in, long at, long end) {
        int length = at + 2 <= end ? (in.readUnsignedByte(at) << 8) | in.readUnsignedByte(at + 1) : -1;
        if (length < 0 || at + 2 + length > end) {
            throw new IllegalStateException("an order record of the store is cut short: a string runs past its end");
        }
        return length;
    }

    private static void putString(ByteBuffer b, byte[] s) {
        b.putShort((short) s.length).put(s);
    }

    private static String getString(ByteBuffer b) {
        int length = Short.toUnsignedInt(b.getShort());
        String s = new String(b.array(), b.position(), length, StandardCharsets.UTF_8);
        b.position(b.position() + length);
        return s;
    }
}
