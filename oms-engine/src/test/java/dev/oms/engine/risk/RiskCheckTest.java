package dev.oms.engine.risk;

import static dev.oms.engine.order.OrderType.LIMIT;
import static dev.oms.engine.order.OrderType.MARKET;
import static dev.oms.engine.order.Side.BUY;
import static dev.oms.engine.order.Side.SELL;
import static dev.oms.engine.risk.RiskCheck.NO_REFERENCE_PRICE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;
import org.junit.jupiter.api.Test;

class RiskCheckTest {
    /** 1 000 lots, notional 100 000, band 5 % (500 bp), 10 open orders, position 2 000. */
    private static final RiskLimits LIMITS = new RiskLimits(1_000, 100_000, 500, 10, 2_000);

    @Test
    void acceptsAnOrderWithinEveryLimit() {
        assertThat(check(BUY, LIMIT, 100, 1_000, 100, 9, 1_000)).isEqualTo(RejectReason.OK);
        assertThat(check(SELL, MARKET, 0, 1_000, 100, 9, -1_000)).isEqualTo(RejectReason.OK);
    }

    @Test
    void refusesQuantityThatIsNotPositive() {
        assertThat(check(BUY, LIMIT, 100, 0, 100, 0, 0)).isEqualTo(RejectReason.INVALID_QUANTITY);
        assertThat(check(BUY, LIMIT, 100, -5, 100, 0, 0)).isEqualTo(RejectReason.INVALID_QUANTITY);
    }

    @Test
    void refusesLimitWithoutPositivePriceAndMarketWithAPrice() {
        assertThat(check(BUY, LIMIT, 0, 1, 100, 0, 0)).isEqualTo(RejectReason.INVALID_PRICE);
        assertThat(check(BUY, LIMIT, -100, 1, 100, 0, 0)).isEqualTo(RejectReason.INVALID_PRICE);
        assertThat(check(BUY, MARKET, 100, 1, 100, 0, 0)).isEqualTo(RejectReason.INVALID_PRICE);
    }

    @Test
    void refusesQuantityAboveTheOrderSizeLimit() {
        assertThat(check(BUY, LIMIT, 1, 1_000, NO_REFERENCE_PRICE, 0, 0)).isEqualTo(RejectReason.OK);
        assertThat(check(BUY, LIMIT, 1, 1_001, NO_REFERENCE_PRICE, 0, 0)).isEqualTo(RejectReason.QUANTITY_LIMIT);
    }

    @Test
    void refusesNotionalAboveTheLimit() {
        assertThat(check(BUY, LIMIT, 100, 1_000, NO_REFERENCE_PRICE, 0, 0)).isEqualTo(RejectReason.OK);
        assertThat(check(BUY, LIMIT, 101, 1_000, NO_REFERENCE_PRICE, 0, 0)).isEqualTo(RejectReason.NOTIONAL_LIMIT);
    }

    @Test
    void notionalThatOverflowsALongIsOverTheLimitEvenWithTheLargestLimit() {
        RiskLimits wide = new RiskLimits(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, 10, Long.MAX_VALUE);
        // 2^62 * 4 = 2^64 wraps to 0 in long arithmetic; 3 * (2^62 + 1) wraps to a small positive number.
        assertThat(RiskCheck.check(wide, BUY, LIMIT, 1L << 62, 4, NO_REFERENCE_PRICE, 0, 0))
                .isEqualTo(RejectReason.NOTIONAL_LIMIT);
        assertThat(RiskCheck.check(wide, BUY, LIMIT, (1L << 62) + 1, 3, NO_REFERENCE_PRICE, 0, 0))
                .isEqualTo(RejectReason.NOTIONAL_LIMIT);
        assertThat(RiskCheck.check(wide, BUY, LIMIT, Long.MAX_VALUE, 2, NO_REFERENCE_PRICE, 0, 0))
                .isEqualTo(RejectReason.NOTIONAL_LIMIT);
        assertThat(RiskCheck.check(wide, BUY, LIMIT, Long.MAX_VALUE, 1, NO_REFERENCE_PRICE, 0, 0))
                .isEqualTo(RejectReason.OK);
    }

    @Test
    void marketOrderNotionalIsJudgedAtTheReferencePriceAndNotWithoutOne() {
        assertThat(check(BUY, MARKET, 0, 1_000, 100, 0, 0)).isEqualTo(RejectReason.OK);
        assertThat(check(BUY, MARKET, 0, 1_000, 101, 0, 0)).isEqualTo(RejectReason.NOTIONAL_LIMIT);
        assertThat(check(BUY, MARKET, 0, 1_000, NO_REFERENCE_PRICE, 0, 0)).isEqualTo(RejectReason.OK);
    }

    @Test
    void refusesLimitPricesOutsideTheBandAroundTheReferencePriceInclusiveAtTheEdge() {
        // 5 % of 1 000 is 50: 950..1 050 are inside.
        RiskLimits band = new RiskLimits(1_000, Long.MAX_VALUE, 500, 10, 2_000);
        assertThat(RiskCheck.check(band, BUY, LIMIT, 1_050, 1, 1_000, 0, 0)).isEqualTo(RejectReason.OK);
        assertThat(RiskCheck.check(band, BUY, LIMIT, 950, 1, 1_000, 0, 0)).isEqualTo(RejectReason.OK);
        assertThat(RiskCheck.check(band, BUY, LIMIT, 1_051, 1, 1_000, 0, 0)).isEqualTo(RejectReason.PRICE_BAND);
        assertThat(RiskCheck.check(band, SELL, LIMIT, 949, 1, 1_000, 0, 0)).isEqualTo(RejectReason.PRICE_BAND);
    }

    @Test
    void bandIsExactWhereIntegerDivisionWouldRound() {
        // 5 % of 1 019 is 50.95: 1 069 is inside, 1 070 is not. Turning the distance 51 into basis points
        // first would round 500.49 bp down to 500 and wrongly accept it.
        RiskLimits band = new RiskLimits(1_000, Long.MAX_VALUE, 500, 10, 2_000);
        assertThat(RiskCheck.check(band, BUY, LIMIT, 1_069, 1, 1_019, 0, 0)).isEqualTo(RejectReason.OK);
        assertThat(RiskCheck.check(band, BUY, LIMIT, 1_070, 1, 1_019, 0, 0)).isEqualTo(RejectReason.PRICE_BAND);
    }

    @Test
    void bandDoesNotOverflowNearTheLargestPrices() {
        RiskLimits band = new RiskLimits(1_000, Long.MAX_VALUE, 10_000, 10, 2_000);
        // A 100 % band around a huge reference: distance * 10 000 and reference * band both overflow a long.
        long reference = Long.MAX_VALUE / 2;
        assertThat(RiskCheck.check(band, BUY, LIMIT, Long.MAX_VALUE - 1, 1, reference, 0, 0)).isEqualTo(RejectReason.OK);
        assertThat(RiskCheck.check(band, BUY, LIMIT, Long.MAX_VALUE, 1, reference, 0, 0)).isEqualTo(RejectReason.PRICE_BAND);
        assertThat(RiskCheck.check(band, SELL, LIMIT, 1, 1, reference, 0, 0)).isEqualTo(RejectReason.OK);
    }

    @Test
    void noBandAppliesWithoutAReferencePriceOrToMarketOrders() {
        assertThat(check(BUY, LIMIT, 1, 1, NO_REFERENCE_PRICE, 0, 0)).isEqualTo(RejectReason.OK);
        assertThat(check(BUY, LIMIT, 1, 1, 100, 0, 0)).isEqualTo(RejectReason.PRICE_BAND);
        assertThat(check(BUY, MARKET, 0, 1, 100, 0, 0)).isEqualTo(RejectReason.OK);
    }

    @Test
    void refusesANewOrderOnceTheAccountHasTheMostOpenOrders() {
        assertThat(check(BUY, LIMIT, 100, 1, 100, 9, 0)).isEqualTo(RejectReason.OK);
        assertThat(check(BUY, LIMIT, 100, 1, 100, 10, 0)).isEqualTo(RejectReason.OPEN_ORDER_LIMIT);
        assertThat(check(BUY, LIMIT, 100, 1, 100, 11, 0)).isEqualTo(RejectReason.OPEN_ORDER_LIMIT);
    }

    @Test
    void refusesOrdersWhoseFullFillWouldTakeTheAbsolutePositionBeyondTheLimit() {
        assertThat(check(BUY, LIMIT, 100, 500, 100, 0, 1_500)).isEqualTo(RejectReason.OK);
        assertThat(check(BUY, LIMIT, 100, 501, 100, 0, 1_500)).isEqualTo(RejectReason.POSITION_LIMIT);
        assertThat(check(SELL, LIMIT, 100, 500, 100, 0, -1_500)).isEqualTo(RejectReason.OK);
        assertThat(check(SELL, LIMIT, 100, 501, 100, 0, -1_500)).isEqualTo(RejectReason.POSITION_LIMIT);
    }

    @Test
    void ordersThatReduceAPositionBeyondTheLimitAreAccepted() {
        // Already over the limit (limits were lowered): selling brings the account back toward flat.
        assertThat(check(SELL, LIMIT, 100, 1_000, 100, 0, 2_500)).isEqualTo(RejectReason.OK);
        assertThat(check(BUY, LIMIT, 100, 1, 100, 0, 2_500)).isEqualTo(RejectReason.POSITION_LIMIT);
        // Adding to a short beyond the limit is refused.
        assertThat(check(SELL, LIMIT, 100, 1_000, 100, 0, -1_001)).isEqualTo(RejectReason.POSITION_LIMIT);
    }

    @Test
    void positionOverflowIsOverTheLimit() {
        RiskLimits unlimited = RiskLimits.UNLIMITED;
        assertThat(RiskCheck.check(unlimited, BUY, LIMIT, 1, 2, NO_REFERENCE_PRICE, 0, Long.MAX_VALUE - 1))
                .isEqualTo(RejectReason.POSITION_LIMIT);
        assertThat(RiskCheck.check(unlimited, SELL, LIMIT, 1, 2, NO_REFERENCE_PRICE, 0, Long.MIN_VALUE + 1))
                .isEqualTo(RejectReason.POSITION_LIMIT);
        // MIN_VALUE itself cannot be negated: it is beyond any limit.
        assertThat(RiskCheck.check(unlimited, SELL, LIMIT, 1, 1, NO_REFERENCE_PRICE, 0, Long.MIN_VALUE + 1))
                .isEqualTo(RejectReason.POSITION_LIMIT);
        assertThat(RiskCheck.check(unlimited, BUY, LIMIT, 1, 1, NO_REFERENCE_PRICE, 0, Long.MAX_VALUE - 1))
                .isEqualTo(RejectReason.OK);
    }

    @Test
    void firstFailingCheckDecidesTheReason() {
        // Breaks every limit at once.
        assertThat(check(BUY, LIMIT, 1_000, 5_000, 100, 50, 5_000)).isEqualTo(RejectReason.QUANTITY_LIMIT);
        assertThat(check(BUY, LIMIT, 1_000, 900, 100, 50, 5_000)).isEqualTo(RejectReason.PRICE_BAND);
        assertThat(check(BUY, LIMIT, 1_000, 900, 1_000, 50, 5_000)).isEqualTo(RejectReason.NOTIONAL_LIMIT);
        assertThat(check(BUY, LIMIT, 100, 900, 100, 50, 5_000)).isEqualTo(RejectReason.OPEN_ORDER_LIMIT);
        assertThat(check(BUY, LIMIT, 100, 900, 100, 0, 5_000)).isEqualTo(RejectReason.POSITION_LIMIT);
        assertThat(check(BUY, LIMIT, 0, 0, 100, 50, 5_000)).isEqualTo(RejectReason.INVALID_QUANTITY);
    }

    @Test
    void unlimitedLimitsAcceptAnyWellFormedOrder() {
        assertThat(RiskCheck.check(RiskLimits.UNLIMITED, SELL, LIMIT, 1, Long.MAX_VALUE, 1_000_000, 1_000, 0))
                .isEqualTo(RejectReason.OK);
    }

    @Test
    void limitsMustBePositiveAndSayWhichIsWrong() {
        assertThatThrownBy(() -> new RiskLimits(0, 1, 1, 1, 1)).hasMessageContaining("maxOrderQuantity");
        assertThatThrownBy(() -> new RiskLimits(1, -1, 1, 1, 1)).hasMessageContaining("maxNotional");
        assertThatThrownBy(() -> new RiskLimits(1, 1, 0, 1, 1)).hasMessageContaining("priceBandBasisPoints");
        assertThatThrownBy(() -> new RiskLimits(1, 1, 1, 0, 1)).hasMessageContaining("maxOpenOrdersPerAccount");
        assertThatThrownBy(() -> new RiskLimits(1, 1, 1, 1, 0)).hasMessageContaining("maxPositionPerAccountAndSymbol");
    }

    @Test
    void rejectReasonCodesAreStable() {
        Map<RejectReason, Integer> codes = Arrays.stream(RejectReason.values())
                .collect(Collectors.toMap(reason -> reason, RejectReason::code));
        // Written to the log: changing any of these breaks replay of existing events.
        assertThat(codes).containsExactlyInAnyOrderEntriesOf(Map.of(
                RejectReason.OK, 0, RejectReason.INVALID_QUANTITY, 1, RejectReason.INVALID_PRICE, 2,
                RejectReason.QUANTITY_LIMIT, 3, RejectReason.NOTIONAL_LIMIT, 4, RejectReason.PRICE_BAND, 5,
                RejectReason.OPEN_ORDER_LIMIT, 6, RejectReason.POSITION_LIMIT, 7));
        for (RejectReason reason : RejectReason.values()) {
            assertThat(RejectReason.fromCode(reason.code())).isEqualTo(reason);
        }
        assertThatThrownBy(() -> RejectReason.fromCode(99)).hasMessageContaining("99");
        assertThatThrownBy(() -> RejectReason.fromCode(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    private static RejectReason check(Side side, OrderType type, long price, long quantity, long reference,
                                      int openOrders, long position) {
        return RiskCheck.check(LIMITS, side, type, price, quantity, reference, openOrders, position);
    }
}
