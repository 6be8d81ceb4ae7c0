package dev.oms.engine.state;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;

/**
 * The binary form of an {@link Order} in the state store: fixed-width numbers, then the three
 * strings length-prefixed. Version byte first so a later layout can read older files.
 */
final class OrderCodec {
    private static final byte VERSION = 2;

    private OrderCodec() {
    }

    static byte[] encode(Order o) {
        byte[] account = o.account().getBytes(StandardCharsets.UTF_8);
        byte[] clientOrderId = o.clientOrderId().getBytes(StandardCharsets.UTF_8);
        byte[] symbol = o.symbol().getBytes(StandardCharsets.UTF_8);
        byte[] reason = o.reason() == null ? new byte[0] : o.reason().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 8 + 4 * 1 + 8 * 5 + 4 * 2 + account.length + clientOrderId.length
                + symbol.length + reason.length);
        b.put(VERSION).putLong(o.id().packed())
                .put((byte) o.side().ordinal()).put((byte) o.type().ordinal())
                .put((byte) o.timeInForce().ordinal()).put((byte) o.status().ordinal())
                .putLong(o.priceTicks()).putLong(o.quantity()).putLong(o.filledQuantity()).putLong(o.createdAt())
                .putLong(o.queuedAt());
        putString(b, account);
        putString(b, clientOrderId);
        putString(b, symbol);
        putString(b, reason);
        return b.array();
    }

    /** Whether the encoded order is open, read from its status byte without decoding the rest. */
    static boolean isOpen(byte[] bytes) {
        return bytes[0] == VERSION && Order.isOpen(OrdStatus.values()[bytes[STATUS_AT]]);
    }

    /** Where the status byte is: after the version, the id, side, type and time in force. */
    private static final int STATUS_AT = 1 + 8 + 3;

    static Order decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        byte version = b.get();
        if (version != VERSION) {
            throw new IllegalStateException("order record version " + version + " is not readable by this build");
        }
        OrderId id = OrderId.unpack(b.getLong());
        Side side = Side.values()[b.get()];
        OrderType type = OrderType.values()[b.get()];
        TimeInForce tif = TimeInForce.values()[b.get()];
        OrdStatus status = OrdStatus.values()[b.get()];
        long priceTicks = b.getLong();
        long quantity = b.getLong();
        long filled = b.getLong();
        long createdAt = b.getLong();
        long queuedAt = b.getLong();
        String account = getString(b);
        String clientOrderId = getString(b);
        String symbol = getString(b);
        String reason = getString(b);
        return new Order(id, account, clientOrderId, symbol, side, type, tif, priceTicks, quantity, filled,
                status, createdAt, queuedAt, reason.isEmpty() ? null : reason);
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
