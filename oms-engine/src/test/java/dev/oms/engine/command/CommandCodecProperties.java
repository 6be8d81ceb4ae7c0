package dev.oms.engine.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.PriceScale;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command schema (docs/events.md): every command survives encode then decode unchanged, and
 * anything that is not a command of schema 1 is refused as a poison record, never half-read.
 */
class CommandCodecProperties {
    private final CommandCodec codec = new CommandCodec(new PriceScale(4));

    @Property
    void everyCommandDecodesToWhatWasEncoded(@ForAll("commands") Command command) {
        assertThat(codec.decode(codec.encode(command))).isEqualTo(command);
    }

    @Property
    void fieldOrderAndUnknownFieldsDoNotMatter(@ForAll @IntRange(min = 1, max = 1_000_000) int quantity) {
        String json = """
                {"extra":{"nested":[1,2,{"x":null}]},"quantity":%d,"price":"12.5","timeInForce":"GTC","orderType":"LIMIT",\
                "side":"SELL","symbol":"ACME","clientOrderId":"c-1","account":"acct","type":"NewOrder","schema":1,"z":true}"""
                .formatted(quantity);
        assertThat(codec.decode(json.getBytes(StandardCharsets.UTF_8))).isEqualTo(new NewOrder("acct", "c-1", "ACME",
                Side.SELL, OrderType.LIMIT, TimeInForce.GTC, 125_000, quantity));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "not json", "[]", "42", "null", "\"text\"", "{",
            "{\"schema\":2,\"type\":\"NewOrder\"}",
            "{\"type\":\"NewOrder\"}",
            "{\"schema\":\"1\",\"type\":\"CancelOrder\",\"orderId\":\"1-2\",\"account\":\"a\",\"symbol\":\"S\"}",
            "{\"schema\":1,\"type\":\"Unknown\"}",
            "{\"schema\":1,\"type\":\"CancelOrder\",\"orderId\":\"x\",\"account\":\"a\",\"symbol\":\"S\"}",
            "{\"schema\":1,\"type\":\"CancelOrder\",\"orderId\":\"1-2\",\"account\":\"\",\"symbol\":\"S\"}",
            "{\"schema\":1,\"type\":\"CancelOrder\",\"orderId\":\"1-2\",\"account\":\"a\\u0000b\",\"symbol\":\"S\"}",
            "{\"schema\":1,\"type\":\"NewOrder\",\"account\":\"a\",\"clientOrderId\":\"c\\n\",\"symbol\":\"S\",\"side\":\"BUY\",\"orderType\":\"LIMIT\",\"timeInForce\":\"GTC\",\"price\":\"1\",\"quantity\":1}",
            "{\"schema\":1,\"type\":\"CancelOrder\",\"orderId\":\"1-2\",\"account\":7,\"symbol\":\"S\"}",
            // The HTTP API's rules for accounts, clientOrderIds and symbols: a lone surrogate (stored
            // as '?', someone else's account), over 64 characters, blank, a symbol outside its alphabet.
            "{\"schema\":1,\"type\":\"NewOrder\",\"account\":\"\\ud800\",\"clientOrderId\":\"c\",\"symbol\":\"S\",\"side\":\"BUY\",\"orderType\":\"LIMIT\",\"timeInForce\":\"GTC\",\"price\":\"1\",\"quantity\":1}",
            "{\"schema\":1,\"type\":\"NewOrder\",\"account\":\"a\",\"clientOrderId\":\"ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\",\"symbol\":\"S\",\"side\":\"BUY\",\"orderType\":\"LIMIT\",\"timeInForce\":\"GTC\",\"price\":\"1\",\"quantity\":1}",
            "{\"schema\":1,\"type\":\"NewOrder\",\"account\":\"  \",\"clientOrderId\":\"c\",\"symbol\":\"S\",\"side\":\"BUY\",\"orderType\":\"LIMIT\",\"timeInForce\":\"GTC\",\"price\":\"1\",\"quantity\":1}",
            "{\"schema\":1,\"type\":\"CancelOrder\",\"orderId\":\"1-2\",\"account\":\"a\",\"symbol\":\"S P\"}",
            "{\"schema\":1,\"type\":\"CancelOrder\",\"orderId\":\"1-2\",\"account\":{\"a\":1},\"symbol\":\"S\"}",
            "{\"schema\":1,\"type\":\"ReplaceOrder\",\"orderId\":\"1-2\",\"account\":\"a\",\"symbol\":\"S\",\"price\":\"1\",\"quantity\":0}",
            "{\"schema\":1,\"type\":\"ReplaceOrder\",\"orderId\":\"1-2\",\"account\":\"a\",\"symbol\":\"S\",\"price\":\"1\",\"quantity\":1.5}",
            "{\"schema\":1,\"type\":\"ReplaceOrder\",\"orderId\":\"1-2\",\"account\":\"a\",\"symbol\":\"S\",\"price\":\"1\",\"quantity\":\"3\"}",
            "{\"schema\":1,\"type\":\"ReplaceOrder\",\"orderId\":\"1-2\",\"account\":\"a\",\"symbol\":\"S\",\"price\":\"1\",\"quantity\":99999999999999999999}",
            "{\"schema\":1,\"type\":\"ReplaceOrder\",\"orderId\":\"1-2\",\"account\":\"a\",\"symbol\":\"S\",\"price\":\"abc\",\"quantity\":3}",
            "{\"schema\":1,\"type\":\"ReplaceOrder\",\"orderId\":\"1-2\",\"account\":\"a\",\"symbol\":\"S\",\"price\":\"1.00001\",\"quantity\":3}",
            // A price is a plain decimal of ASCII digits: no sign, spaces, exponent or other scripts' digits.
            "{\"schema\":1,\"type\":\"ReplaceOrder\",\"orderId\":\"1-2\",\"account\":\"a\",\"symbol\":\"S\",\"price\":\"+1\",\"quantity\":3}",
            "{\"schema\":1,\"type\":\"ReplaceOrder\",\"orderId\":\"1-2\",\"account\":\"a\",\"symbol\":\"S\",\"price\":\" 1\",\"quantity\":3}",
            "{\"schema\":1,\"type\":\"ReplaceOrder\",\"orderId\":\"1-2\",\"account\":\"a\",\"symbol\":\"S\",\"price\":\"1e10000000\",\"quantity\":3}",
            "{\"schema\":1,\"type\":\"ReplaceOrder\",\"orderId\":\"1-2\",\"account\":\"a\",\"symbol\":\"S\",\"price\":\"\\u0663\",\"quantity\":3}",
            // Rules with a limit missing, not positive, too large, or an unknown self-trade prevention.
            "{\"schema\":1,\"type\":\"SetRules\",\"maxNotional\":\"1\",\"priceBandBps\":1,\"maxOpenOrders\":1,\"maxPosition\":1,\"selfTradePrevention\":\"NONE\"}",
            "{\"schema\":1,\"type\":\"SetRules\",\"maxOrderQuantity\":0,\"maxNotional\":\"1\",\"priceBandBps\":1,\"maxOpenOrders\":1,\"maxPosition\":1,\"selfTradePrevention\":\"NONE\"}",
            "{\"schema\":1,\"type\":\"SetRules\",\"maxOrderQuantity\":1,\"maxNotional\":\"1\",\"priceBandBps\":1,\"maxOpenOrders\":2147483648,\"maxPosition\":1,\"selfTradePrevention\":\"NONE\"}",
            "{\"schema\":1,\"type\":\"SetRules\",\"maxOrderQuantity\":1,\"maxNotional\":1,\"priceBandBps\":1,\"maxOpenOrders\":1,\"maxPosition\":1,\"selfTradePrevention\":\"NONE\"}",
            "{\"schema\":1,\"type\":\"SetRules\",\"maxOrderQuantity\":1,\"maxNotional\":\"1\",\"priceBandBps\":1,\"maxOpenOrders\":1,\"maxPosition\":1,\"selfTradePrevention\":\"SOMETIMES\"}",
            "{\"schema\":1,\"type\":\"NewOrder\",\"account\":\"a\",\"clientOrderId\":\"c\",\"symbol\":\"S\",\"side\":\"UP\",\"orderType\":\"LIMIT\",\"timeInForce\":\"GTC\",\"price\":\"1\",\"quantity\":1}",
            "{\"schema\":1,\"type\":\"NewOrder\",\"account\":\"a\",\"clientOrderId\":\"c\",\"symbol\":\"S\",\"side\":\"BUY\",\"orderType\":\"LIMIT\",\"timeInForce\":\"GTC\",\"quantity\":1}",
            "{\"schema\":1,\"type\":\"NewOrder\",\"account\":\"a\",\"clientOrderId\":\"c\",\"symbol\":\"S\",\"side\":\"BUY\",\"orderType\":\"MARKET\",\"timeInForce\":\"IOC\",\"quantity\":-1}",
            "{\"schema\":1,\"type\":\"NewOrder\",\"account\":\"a\",\"clientOrderId\":\"c\",\"symbol\":\"S\",\"side\":\"BUY\",\"orderType\":\"LIMIT\",\"timeInForce\":\"GTC\",\"price\":\"1\",\"quantity\":1} trailing"
    })
    void anythingElseIsAPoisonRecord(String value) {
        assertThatThrownBy(() -> codec.decode(value.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(PoisonRecordException.class).hasMessageStartingWith("undecodable command");
    }

    @Property
    void aQuantityWrittenAsAWholeDecimalIsAccepted(@ForAll @IntRange(min = 1, max = 1000) int quantity) {
        String json = "{\"schema\":1,\"type\":\"ReplaceOrder\",\"orderId\":\"1-2\",\"account\":\"a\",\"symbol\":\"S\","
                + "\"price\":\"1\",\"quantity\":" + quantity + ".0}";
        assertThat(codec.decode(json.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new ReplaceOrder(new OrderId(1, 2), "a", "S", 10_000, quantity));
    }

    @Provide
    Arbitrary<Command> commands() {
        Arbitrary<String> text = Arbitraries.strings().ofMinLength(1).ofMaxLength(20)
                .withCharRange('a', 'z').withChars('"', '\\', 'é', '€', ' ', '0', '9').filter(t -> !t.isBlank());
        Arbitrary<String> symbols = Arbitraries.strings().ofMinLength(1).ofMaxLength(32)
                .withCharRange('A', 'Z').withCharRange('0', '9').withChars('.', '_', ':', '/', '-');
        Arbitrary<Long> ticks = Arbitraries.longs().between(1, 1_000_000_000_000L);
        Arbitrary<Long> quantity = Arbitraries.longs().between(1, Long.MAX_VALUE);
        Arbitrary<OrderId> ids = Combinators.combine(Arbitraries.integers().between(0, 4095),
                Arbitraries.longs().between(0, (1L << 40) - 1)).as(OrderId::new);
        Arbitrary<Command> placements = Combinators.combine(text, text, symbols, Arbitraries.of(Side.class),
                Arbitraries.of(OrderType.class), Arbitraries.of(TimeInForce.class), ticks, quantity)
                .as((account, clientOrderId, symbol, side, type, tif, price, qty) -> new NewOrder(account, clientOrderId,
                        symbol, side, type, tif, type == OrderType.LIMIT ? price : 0, qty));
        Arbitrary<Command> cancels = Combinators.combine(ids, text, symbols).as(CancelOrder::new);
        Arbitrary<Command> replaces = Combinators.combine(ids, text, symbols, ticks, quantity).as(ReplaceOrder::new);
        Arbitrary<Long> limit = Arbitraries.longs().between(1, Long.MAX_VALUE);
        Arbitrary<Command> rules = Combinators.combine(limit, limit, limit, Arbitraries.integers().between(1, Integer.MAX_VALUE),
                limit, Arbitraries.of(dev.oms.engine.book.SelfTradePrevention.class))
                .as((maxQuantity, maxNotional, band, maxOpen, maxPosition, stp) -> new SetRules(
                        new dev.oms.engine.risk.RiskLimits(maxQuantity, maxNotional, band, maxOpen, maxPosition), stp));
        return Arbitraries.oneOf(placements, cancels, replaces, rules);
    }
}
