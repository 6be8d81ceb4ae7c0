package dev.oms.engine.order;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

class PriceScaleProperties {
    @Property
    void ticksSurviveTheRoundTripThroughADecimalPrice(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long ticks,
                                                      @ForAll @IntRange(min = 0, max = 9) int decimals) {
        PriceScale scale = new PriceScale(decimals);
        BigDecimal price = scale.toPrice(ticks);
        assertThat(scale.toTicks(price)).isEqualTo(ticks);
        assertThat(scale.toTicks(new BigDecimal(price.stripTrailingZeros().toPlainString()))).isEqualTo(ticks);
    }

    @Property
    void aFormattedPriceIsThePlainDecimalWithoutTrailingZeros(@ForAll long ticks, @ForAll @IntRange(min = 0, max = 9) int decimals) {
        PriceScale scale = new PriceScale(decimals);
        assertThat(scale.format(ticks)).isEqualTo(scale.toPrice(ticks).stripTrailingZeros().toPlainString());
    }

    @Property
    void packedOrderIdsAreDistinctForDistinctCoordinates(@ForAll @IntRange(min = 0, max = (1 << 23) - 1) int partition,
                                                         @ForAll @LongRange(min = 0, max = (1L << 40) - 1) long offset) {
        OrderId id = new OrderId(partition, offset);
        assertThat(OrderId.unpack(id.packed())).isEqualTo(id);
        assertThat(OrderId.parse(id.toString())).contains(id);
    }
}
