package dev.oms.engine.order;

/**
 * An order's id is where its {@code NewOrder} command sits in the log: partition and offset. It is
 * unique, known as soon as the command is durable, and the same on every replay. Written as
 * {@code "<partition>-<offset>"}; packed into one long (partition in the top 24 bits) as a map key.
 */
public record OrderId(int partition, long offset) {
    private static final int OFFSET_BITS = 40;
    private static final long OFFSET_MASK = (1L << OFFSET_BITS) - 1;

    public OrderId {
        if (partition < 0 || partition >= (1 << 23) || offset < 0 || offset > OFFSET_MASK) {
            throw new IllegalArgumentException("no order id for partition " + partition + " offset " + offset);
        }
    }

    public long packed() {
        return ((long) partition << OFFSET_BITS) | offset;
    }

    public static OrderId unpack(long packed) {
        return new OrderId(partitionOf(packed), packed & OFFSET_MASK);
    }

    /** The partition of a packed id, without unpacking it. */
    public static int partitionOf(long packed) {
        return (int) (packed >>> OFFSET_BITS);
    }

    /** Parses {@code "<partition>-<offset>"}; empty when the text is not an order id. */
    public static java.util.Optional<OrderId> parse(String text) {
        int dash = text.indexOf('-');
        if (dash <= 0 || dash == text.length() - 1 || text.length() > 24) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(new OrderId(Integer.parseInt(text, 0, dash, 10),
                    Long.parseLong(text, dash + 1, text.length(), 10)));
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }

    @Override
    public String toString() {
        return partition + "-" + offset;
    }
}
