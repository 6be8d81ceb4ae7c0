package dev.oms.engine.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.openhft.chronicle.bytes.BytesStore;

/**
 * A restart reads open orders from the store's entries in place, not through {@link OrderCodec#decode}:
 * both must read the same order.
 */
class RestoreDecodingProperties {
    @Property
    void anOpenOrderReadInPlaceHasTheFieldsOfTheDecodedOne(@ForAll("orders") Order order, @ForAll @IntRange(max = 40) int at) {
        byte[] encoded = OrderCodec.encode(order);
        byte[] entry = new byte[at + encoded.length]; // the order at some offset of the map's memory
        System.arraycopy(encoded, 0, entry, at, encoded.length);
        BytesStore<?, byte[]> bytes = BytesStore.wrap(entry);
        assertThat(OrderCodec.isOpen(bytes, at)).isEqualTo(order.isOpen());
        assertThat(OrderCodec.packedId(bytes, at, encoded.length)).isEqualTo(order.id().packed());

        OpenOrders open = new OpenOrders();
        OrderCodec.decodeInto(bytes, at, encoded.length, open);
        OrderCodec.decodeInto(bytes, at, encoded.length, open); // twice: the strings come back as the same instances
        open.sortByQueue();
        Order decoded = OrderCodec.decode(encoded);
        assertThat(open.size()).isEqualTo(2);
        assertThat(open.key(0)).isEqualTo(decoded.id().packed());
        assertThat(open.account(0)).isEqualTo(decoded.account()).isSameAs(open.account(1));
        assertThat(open.symbol(0)).isEqualTo(decoded.symbol()).isSameAs(open.symbol(1));
        assertThat(open.side(0)).isEqualTo(decoded.side());
        assertThat(open.timeInForce(0)).isEqualTo(decoded.timeInForce());
        assertThat(open.priceTicks(0)).isEqualTo(decoded.priceTicks());
        assertThat(open.quantity(0)).isEqualTo(decoded.quantity());
        assertThat(open.filledQuantity(0)).isEqualTo(decoded.filledQuantity());
        assertThat(open.createdAt(0)).isEqualTo(decoded.createdAt());
        assertThat(open.queuedAt(0)).isEqualTo(decoded.queuedAt());
    }

    /** A record cut anywhere short of its end is refused, never read past into the next entry's bytes. */
    @Property
    void aRecordCutShortIsRefused(@ForAll("orders") Order order, @ForAll @IntRange(min = 1, max = 200) int cut) {
        byte[] encoded = OrderCodec.encode(order);
        int kept = Math.max(0, encoded.length - cut);
        byte[] entry = java.util.Arrays.copyOf(encoded, encoded.length + 64); // followed by other bytes
        java.util.Arrays.fill(entry, kept, entry.length, (byte) 7);
        BytesStore<?, byte[]> bytes = BytesStore.wrap(entry);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> OrderCodec.decodeInto(bytes, 0, kept, new OpenOrders()))
                .isInstanceOf(IllegalStateException.class);
    }

    @Property
    void everyDistinctStringIsKeptAndFoundAgain(@ForAll @IntRange(min = 1, max = 500) int distinct) {
        OpenOrders open = new OpenOrders();
        java.util.Map<String, Integer> first = new java.util.HashMap<>();
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < distinct; i++) {
                byte[] utf8 = ("account-é" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                int id = open.string(BytesStore.wrap(utf8), 0, utf8.length);
                assertThat(open.string(id)).isEqualTo("account-é" + i);
                assertThat(first.computeIfAbsent(open.string(id), k -> id)).as("the same id the second time").isEqualTo(id);
            }
        }
        assertThat(new java.util.HashSet<>(first.values())).as("one id per string").hasSize(distinct);
    }

    @Provide
    Arbitrary<Order> orders() {
        Arbitrary<String> text = Arbitraries.strings().ofMinLength(1).ofMaxLength(40)
                .withCharRange('a', 'z').withCharRange('0', '9').withChars('-', '_', 'é', '中', '€');
        Arbitrary<Long> positive = Arbitraries.longs().between(1, Long.MAX_VALUE / 4);
        return Combinators.combine(
                Combinators.combine(Arbitraries.integers().between(0, 1 << 20), Arbitraries.longs().between(0, (1L << 40) - 1),
                        text, text, text).as((p, o, a, c, s) -> new Object[] {new OrderId(p, o), a, c, s}),
                Arbitraries.of(Side.class), Arbitraries.of(TimeInForce.class), Arbitraries.of(OrdStatus.class),
                positive, positive, Arbitraries.longs().between(0, Long.MAX_VALUE / 4), Arbitraries.longs().between(0, (1L << 40) - 1))
                .as((ids, side, tif, status, price, quantity, created, queued) -> new Order((OrderId) ids[0], (String) ids[1],
                        (String) ids[2], (String) ids[3], side, OrderType.LIMIT, tif, price, quantity, quantity / 2, status,
                        created, queued, status == OrdStatus.REJECTED ? "PRICE_BAND" : null))
                .flatMap(order -> Arbitraries.of(order, // as placed (version 2), or replaced since (version 3)
                        new Order(order.id(), order.account(), order.clientOrderId(), order.symbol(), order.side(), order.type(),
                                order.timeInForce(), order.priceTicks(), order.quantity(), order.filledQuantity(), order.status(),
                                order.createdAt(), order.queuedAt(), order.reason(), order.priceTicks() + 1, order.quantity() + 1)));
    }
}
