package dev.oms.engine.order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;

import org.junit.jupiter.api.Test;

class OrderIdTest {
    @Test
    void idSurvivesPackingAndItsTextForm() {
        OrderId id = new OrderId(7, 123_456_789_012L);
        assertThat(OrderId.unpack(id.packed())).isEqualTo(id);
        assertThat(OrderId.parse(id.toString())).contains(id);
    }

    @Test
    void textThatIsNoOrderIdParsesToNothing() {
        for (String text : new String[] {"", "-", "1-", "-1", "a-1", "1-b", "1-2-3", "99999999999-1", "1-" + Long.MAX_VALUE}) {
            assertThat(OrderId.parse(text)).as(text).isEmpty();
        }
    }

    @Test
    void pricesBecomeExactTicksOrAreRefused() {
        PriceScale scale = new PriceScale(4);
        assertThat(scale.toTicks(new BigDecimal("101.25"))).isEqualTo(1_012_500);
        assertThat(scale.toTicks(new BigDecimal("1E+2"))).isEqualTo(1_000_000);
        assertThat(scale.toPrice(1_012_500).toPlainString()).isEqualTo("101.2500");
        assertThatThrownBy(() -> scale.toTicks(new BigDecimal("0.00001"))).hasMessageContaining("more than 4 decimal places");
        assertThatThrownBy(() -> scale.toTicks(new BigDecimal("1E+30"))).hasMessageContaining("too large");
    }
}
