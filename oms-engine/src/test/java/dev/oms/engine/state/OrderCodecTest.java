package dev.oms.engine.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import net.openhft.chronicle.bytes.BytesStore;
import org.junit.jupiter.api.Test;

class OrderCodecTest {
    private static final Order PLACED = new Order(new OrderId(2, 41), "acct", "c-1", "AAPL", Side.BUY, OrderType.LIMIT,
            TimeInForce.GTC, 1_000_000, 100, 0, OrdStatus.NEW, 1_767_225_600_000L, 41, null);

    @Test
    void aReplacedOrderKeepsTheTermsItWasPlacedWith() {
        Order replaced = PLACED.withFill(10).replaced(1_010_000, 80, 57);

        Order decoded = OrderCodec.decode(OrderCodec.encode(replaced));

        assertThat(decoded).isEqualTo(replaced);
        assertThat(decoded.priceTicks()).isEqualTo(1_010_000);
        assertThat(decoded.placedPriceTicks()).isEqualTo(1_000_000);
        assertThat(decoded.placedQuantity()).isEqualTo(100);
    }

    /** An order never replaced is written without its placed terms, as the previous build wrote every order. */
    @Test
    void anOrderNeverReplacedIsWrittenWithoutItsPlacedTerms() {
        Order filled = PLACED.withFill(10);
        Order replaced = PLACED.replaced(1_010_000, 80, 57);

        assertThat(OrderCodec.encode(filled)[0]).isEqualTo((byte) 2);
        assertThat(OrderCodec.encode(replaced)).hasSize(OrderCodec.encode(filled).length + 16);
        assertThat(OrderCodec.decode(OrderCodec.encode(filled))).isEqualTo(filled);
    }

    /** A store written by the previous build (version 2, no placed terms) is read: they are the current terms. */
    @Test
    void aVersion2RecordIsReadWithItsCurrentTermsAsThePlacedOnes() {
        Order replaced = PLACED.replaced(1_010_000, 80, 57);
        byte[] current = OrderCodec.encode(replaced);
        byte[] version2 = java.util.Arrays.copyOf(current, current.length - 16); // without the placed terms
        version2[0] = 2;

        Order decoded = OrderCodec.decode(version2);
        assertThat(decoded.priceTicks()).isEqualTo(1_010_000);
        assertThat(decoded.placedPriceTicks()).isEqualTo(1_010_000);
        assertThat(decoded.placedQuantity()).isEqualTo(80);

        BytesStore<?, byte[]> bytes = BytesStore.wrap(version2);
        assertThat(OrderCodec.isOpen(bytes, 0)).isTrue();
        assertThat(OrderCodec.packedId(bytes, 0, version2.length)).isEqualTo(replaced.id().packed());
        OpenOrders open = new OpenOrders();
        OrderCodec.decodeInto(bytes, 0, version2.length, open);
        open.sortByQueue();
        assertThat(open.priceTicks(0)).isEqualTo(1_010_000);
        assertThat(open.quantity(0)).isEqualTo(80);
        assertThat(open.symbol(0)).isEqualTo("AAPL");
    }
}
