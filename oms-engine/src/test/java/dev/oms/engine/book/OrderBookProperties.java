package dev.oms.engine.book;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import dev.oms.engine.book.BookEvent.Canceled;
import dev.oms.engine.book.BookEvent.Expired;
import dev.oms.engine.book.BookEvent.Replaced;
import dev.oms.engine.book.BookEvent.Rested;
import dev.oms.engine.book.BookEvent.Trade;
import dev.oms.engine.book.BookScenario.Command;
import dev.oms.engine.book.BookScenario.Order;
import dev.oms.engine.book.BookScenario.Step;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * Random command sequences (submits of every type and time in force, cancels, replaces and DAY expiries
 * from three accounts around a few prices) against the book, judged on the whole recorded history.
 */
class OrderBookProperties {

    @Provide
    Arbitrary<List<Command>> commands() {
        Arbitrary<Long> prices = Arbitraries.longs().between(96, 104);
        Arbitrary<Command> submit = Combinators.combine(
                Arbitraries.integers().between(0, BookScenario.ACCOUNTS.size() - 1),
                Arbitraries.of(Side.class),
                Arbitraries.frequency(Tuple.of(5, OrderType.LIMIT), Tuple.of(1, OrderType.MARKET)),
                Arbitraries.of(TimeInForce.class),
                prices,
                Arbitraries.longs().between(1, 12)).as(Command.Submit::new);
        Arbitrary<Command> cancel = Arbitraries.integers().between(0, 1_000).map(Command.Cancel::new);
        Arbitrary<Command> replace = Combinators.combine(Arbitraries.integers().between(0, 1_000), prices,
                Arbitraries.longs().between(1, 15)).as(Command.Replace::new);
        Arbitrary<Command> expire = Arbitraries.integers().between(0, 10).map(Command.ExpireDay::new);
        return Arbitraries.frequencyOf(Tuple.of(10, submit), Tuple.of(2, cancel), Tuple.of(3, replace),
                Tuple.of(1, expire)).list().ofMinSize(1).ofMaxSize(80).withSizeDistribution(RandomDistribution.uniform());
    }

    @Provide
    Arbitrary<SelfTradePrevention> preventing() {
        return Arbitraries.of(SelfTradePrevention.CANCEL_NEWEST, SelfTradePrevention.CANCEL_OLDEST,
                SelfTradePrevention.CANCEL_BOTH);
    }

    @Property
    void bookIsNeverCrossedAtRest(@ForAll("commands") List<Command> commands, @ForAll SelfTradePrevention stp) {
        for (Step step : BookScenario.run(stp, commands).steps) {
            assertThat(step.bestBid()).isEqualTo(step.after().bids().isEmpty() ? OrderBook.NO_PRICE
                    : step.after().bids().getFirst().priceTicks());
            assertThat(step.bestAsk()).isEqualTo(step.after().asks().isEmpty() ? OrderBook.NO_PRICE
                    : step.after().asks().getFirst().priceTicks());
            if (step.bestBid() != OrderBook.NO_PRICE && step.bestAsk() != OrderBook.NO_PRICE) {
                assertThat(step.bestBid()).as("best bid after %s", step.command()).isLessThan(step.bestAsk());
            }
        }
    }

    @Property
    void quantityIsConservedForEveryOrder(@ForAll("commands") List<Command> commands,
                                          @ForAll SelfTradePrevention stp) {
        BookScenario scenario = BookScenario.run(stp, commands);
        Map<Long, Long> quantity = new HashMap<>();
        Map<Long, Long> filled = new HashMap<>();
        Map<Long, Long> closed = new HashMap<>();
        Set<Long> done = new HashSet<>();
        for (Step step : scenario.steps) {
            if (step.command() instanceof Command.Submit) {
                quantity.put(step.orderKey(), scenario.orders.get(step.orderKey()).quantity());
            }
            for (BookEvent event : step.events()) {
                assertThat(done).as("an event about a finished order: %s", event).doesNotContain(event.orderKey());
                switch (event) {
                    case Trade trade -> {
                        assertThat(done).doesNotContain(trade.restingKey());
                        assertThat(trade.quantity()).isPositive();
                        filled.merge(trade.aggressorKey(), trade.quantity(), Long::sum);
                        filled.merge(trade.restingKey(), trade.quantity(), Long::sum);
                        assertThat(trade.aggressorLeaves()).isEqualTo(open(trade.aggressorKey(), quantity, filled));
                        assertThat(trade.restingLeaves()).isEqualTo(open(trade.restingKey(), quantity, filled));
                        if (trade.aggressorLeaves() == 0) {
                            done.add(trade.aggressorKey());
                        }
                        if (trade.restingLeaves() == 0) {
                            done.add(trade.restingKey());
                        }
                    }
                    case Replaced replaced -> {
                        quantity.put(replaced.orderKey(), replaced.quantity());
                        assertThat(replaced.leavesQuantity()).isEqualTo(open(replaced.orderKey(), quantity, filled));
                    }
                    case Rested rested ->
                            assertThat(rested.leavesQuantity()).isEqualTo(open(rested.orderKey(), quantity, filled));
                    case Canceled canceled -> {
                        assertThat(canceled.canceledQuantity()).isPositive();
                        closed.merge(canceled.orderKey(), canceled.canceledQuantity(), Long::sum);
                        done.add(canceled.orderKey());
                    }
                    case Expired expired -> {
                        assertThat(expired.expiredQuantity()).isPositive();
                        closed.merge(expired.orderKey(), expired.expiredQuantity(), Long::sum);
                        done.add(expired.orderKey());
                    }
                }
            }
            for (long key : quantity.keySet()) {
                long leaves = step.leavesAfter().getOrDefault(key, 0L);
                assertThat(filled.getOrDefault(key, 0L) + closed.getOrDefault(key, 0L) + leaves)
                        .as("filled + canceled or expired + open of order %d after %s", key, step.command())
                        .isEqualTo(quantity.get(key));
                assertThat(done.contains(key)).as("order %d is done exactly when it does not rest", key)
                        .isEqualTo(leaves == 0);
            }
        }
    }

    @Property
    void everyTradeIsAtTheRestingOrdersPriceWithinTheAggressorsLimit(@ForAll("commands") List<Command> commands,
                                                                      @ForAll SelfTradePrevention stp) {
        BookScenario scenario = BookScenario.run(stp, commands);
        Map<Long, Long> limit = new HashMap<>();
        Map<Long, Long> restingPrice = new HashMap<>();
        for (Step step : scenario.steps) {
            if (step.command() instanceof Command.Submit) {
                limit.put(step.orderKey(), scenario.orders.get(step.orderKey()).priceTicks());
            }
            for (BookEvent event : step.events()) {
                switch (event) {
                    case Rested rested -> {
                        assertThat(rested.priceTicks()).isEqualTo(limit.get(rested.orderKey()));
                        restingPrice.put(rested.orderKey(), rested.priceTicks());
                    }
                    case Replaced replaced -> {
                        if (replaced.keptPriority()) {
                            assertThat(replaced.priceTicks()).isEqualTo(restingPrice.get(replaced.orderKey()));
                        } else {
                            restingPrice.remove(replaced.orderKey());
                        }
                        limit.put(replaced.orderKey(), replaced.priceTicks());
                    }
                    case Trade trade -> {
                        assertThat(trade.aggressorKey()).isEqualTo(step.orderKey());
                        assertThat(restingPrice).as("trade %s is with a resting order", trade)
                                .containsKey(trade.restingKey());
                        assertThat(trade.priceTicks()).as("price of %s", trade)
                                .isEqualTo(restingPrice.get(trade.restingKey()));
                        Order aggressor = scenario.orders.get(trade.aggressorKey());
                        assertThat(trade.aggressorSide()).isEqualTo(aggressor.side());
                        assertThat(scenario.orders.get(trade.restingKey()).side()).isNotEqualTo(aggressor.side());
                        if (aggressor.type() == OrderType.LIMIT) {
                            long aggressorLimit = limit.get(trade.aggressorKey());
                            if (aggressor.side() == Side.BUY) {
                                assertThat(trade.priceTicks()).isLessThanOrEqualTo(aggressorLimit);
                            } else {
                                assertThat(trade.priceTicks()).isGreaterThanOrEqualTo(aggressorLimit);
                            }
                        }
                        if (trade.restingLeaves() == 0) {
                            restingPrice.remove(trade.restingKey());
                        }
                    }
                    case Canceled canceled -> restingPrice.remove(canceled.orderKey());
                    case Expired expired -> restingPrice.remove(expired.orderKey());
                }
            }
        }
    }

    /** Replays the events into plain FIFO queues per price and checks every fill takes the head of the best one. */
    @Property
    void tradesTakeTheBestPriceAndTheEarliestOrderAtThatPrice(@ForAll("commands") List<Command> commands,
                                                             @ForAll SelfTradePrevention stp) {
        BookScenario scenario = BookScenario.run(stp, commands);
        Map<Side, TreeMap<Long, ArrayDeque<Long>>> queues = new EnumMap<>(Side.class);
        queues.put(Side.BUY, new TreeMap<>());
        queues.put(Side.SELL, new TreeMap<>());
        for (Step step : scenario.steps) {
            for (BookEvent event : step.events()) {
                switch (event) {
                    case Rested rested -> queues.get(rested.side())
                            .computeIfAbsent(rested.priceTicks(), price -> new ArrayDeque<>()).addLast(rested.orderKey());
                    case Replaced replaced -> {
                        if (!replaced.keptPriority()) {
                            leave(queues, replaced.orderKey());
                        }
                    }
                    case Trade trade -> {
                        Side restingSide = trade.aggressorSide() == Side.BUY ? Side.SELL : Side.BUY;
                        assertThat(trade.priceTicks()).as("price of %s", trade)
                                .isEqualTo(assertNextInLine(queues.get(restingSide), restingSide, trade.restingKey()));
                        if (trade.restingLeaves() == 0) {
                            leave(queues, trade.restingKey());
                        }
                    }
                    case Canceled canceled -> {
                        if (canceled.reason() == CancelReason.SELF_TRADE_PREVENTION
                                && canceled.orderKey() != step.orderKey()) {
                            // Prevention cancels the order that would have traded next, no other.
                            Side restingSide = scenario.orders.get(canceled.orderKey()).side();
                            assertNextInLine(queues.get(restingSide), restingSide, canceled.orderKey());
                        }
                        leave(queues, canceled.orderKey());
                    }
                    case Expired expired -> leave(queues, expired.orderKey());
                }
            }
            assertThat(levels(queues.get(Side.BUY).descendingMap(), step.leavesAfter()))
                    .isEqualTo(step.after().bids());
            assertThat(levels(queues.get(Side.SELL), step.leavesAfter())).isEqualTo(step.after().asks());
        }
    }

    @Property
    void iocFokAndMarketOrdersNeverRestAndCancelOnlyWhatCannotTrade(@ForAll("commands") List<Command> commands,
                                                                    @ForAll SelfTradePrevention stp) {
        BookScenario scenario = BookScenario.run(stp, commands);
        for (Step step : scenario.steps) {
            for (BookEvent event : step.events()) {
                Order order = scenario.orders.get(event.orderKey());
                if (event instanceof Rested) {
                    assertThat(order.mayRest()).as("%s rested", order).isTrue();
                }
                if (event instanceof Canceled canceled && canceled.reason() == CancelReason.IMMEDIATE_OR_CANCEL) {
                    assertThat(order.mayRest()).isFalse();
                    assertThat(order.timeInForce()).as("a FOK that passed its check fills whole").isNotEqualTo(TimeInForce.FOK);
                    assertNothingLeftToTrade(order, step.after());
                }
            }
            if (step.command() instanceof Command.Submit && !scenario.orders.get(step.orderKey()).mayRest()) {
                Order order = scenario.orders.get(step.orderKey());
                long traded = tradedAsAggressor(step, order.key());
                long canceled = step.events().stream().filter(e -> e instanceof Canceled c && c.orderKey() == order.key())
                        .mapToLong(e -> ((Canceled) e).canceledQuantity()).sum();
                assertThat(traded + canceled).as("%s is done within its own command", order).isEqualTo(order.quantity());
            }
            for (Order order : scenario.orders.values()) {
                if (!order.mayRest()) {
                    assertThat(step.leavesAfter()).doesNotContainKey(order.key());
                }
            }
        }
    }

    @Property
    void fokFillsWholeOrTradesNothingAndChangesNothing(@ForAll("commands") List<Command> commands,
                                                       @ForAll SelfTradePrevention stp) {
        BookScenario scenario = BookScenario.run(stp, commands);
        boolean anyFilled = false;
        boolean anyKilled = false;
        for (Step step : scenario.steps) {
            if (!(step.command() instanceof Command.Submit)) {
                continue;
            }
            Order order = scenario.orders.get(step.orderKey());
            if (order.timeInForce() != TimeInForce.FOK) {
                continue;
            }
            long traded = tradedAsAggressor(step, order.key());
            if (traded > 0) {
                assertThat(traded).as("%s traded", order).isEqualTo(order.quantity());
                anyFilled = true;
            } else {
                assertThat(step.events()).containsExactly(
                        new Canceled(order.key(), order.quantity(), CancelReason.FILL_OR_KILL));
                assertThat(step.after()).isEqualTo(step.before());
                anyKilled = true;
            }
        }
        Statistics.label("a FOK filled").collect(anyFilled);
        Statistics.label("a FOK was killed").collect(anyKilled);
        Statistics.label("a FOK filled").coverage(coverage -> coverage.check(true).percentage(p -> p > 15));
        Statistics.label("a FOK was killed").coverage(coverage -> coverage.check(true).percentage(p -> p > 30));
    }

    @Property
    void withPreventionNoAccountTradesWithItselfAndOnlyTheModesOrdersAreCanceled(
            @ForAll("commands") List<Command> commands, @ForAll("preventing") SelfTradePrevention stp) {
        BookScenario scenario = BookScenario.run(stp, commands);
        boolean prevented = false;
        for (Step step : scenario.steps) {
            for (BookEvent event : step.events()) {
                if (event instanceof Trade trade) {
                    assertThat(scenario.orders.get(trade.restingKey()).account()).as("%s under %s", trade, stp)
                            .isNotEqualTo(scenario.orders.get(trade.aggressorKey()).account());
                }
                if (event instanceof Canceled canceled && canceled.reason() == CancelReason.SELF_TRADE_PREVENTION) {
                    prevented = true;
                    boolean incoming = canceled.orderKey() == step.orderKey();
                    assertThat(stp).isNotEqualTo(incoming ? SelfTradePrevention.CANCEL_OLDEST
                            : SelfTradePrevention.CANCEL_NEWEST);
                    assertThat(scenario.orders.get(canceled.orderKey()).account())
                            .isEqualTo(scenario.orders.get(step.orderKey()).account());
                }
            }
        }
        Statistics.label("self-trade prevented").collect(prevented);
        Statistics.label("self-trade prevented").coverage(coverage -> coverage.check(true).percentage(p -> p > 40));
    }

    @Property
    void withoutPreventionNothingIsCanceledForSelfTrade(@ForAll("commands") List<Command> commands) {
        assertThat(BookScenario.run(SelfTradePrevention.NONE, commands).events())
                .noneMatch(e -> e instanceof Canceled c && c.reason() == CancelReason.SELF_TRADE_PREVENTION);
    }

    @Property
    void cancelAndReplaceAreJudgedByTheOrdersStateAndRefusalsChangeNothing(
            @ForAll("commands") List<Command> commands, @ForAll SelfTradePrevention stp) {
        BookScenario scenario = BookScenario.run(stp, commands);
        Map<Long, Long> filled = new HashMap<>();
        for (Step step : scenario.steps) {
            boolean resting = step.leavesBefore().containsKey(step.orderKey());
            BookResult expected = switch (step.command()) {
                case Command.Submit _ -> BookResult.OK;
                case Command.ExpireDay _ -> BookResult.OK;
                case Command.Cancel _ -> resting ? BookResult.OK : BookResult.UNKNOWN_ORDER;
                case Command.Replace replace -> !resting ? BookResult.UNKNOWN_ORDER
                        : replace.quantity() <= filled.getOrDefault(step.orderKey(), 0L)
                        ? BookResult.QUANTITY_AT_OR_BELOW_FILLED : BookResult.OK;
            };
            assertThat(step.result()).as("answer to %s", step.command()).isEqualTo(expected);
            if (step.result() != BookResult.OK) {
                assertThat(step.events()).isEmpty();
                assertThat(step.after()).isEqualTo(step.before());
                assertThat(step.leavesAfter()).isEqualTo(step.leavesBefore());
            } else if (step.command() instanceof Command.Cancel) {
                assertThat(step.events()).containsExactly(new Canceled(step.orderKey(),
                        step.leavesBefore().get(step.orderKey()), CancelReason.CANCEL_REQUESTED));
            }
            for (BookEvent event : step.events()) {
                if (event instanceof Trade trade) {
                    filled.merge(trade.aggressorKey(), trade.quantity(), Long::sum);
                    filled.merge(trade.restingKey(), trade.quantity(), Long::sum);
                }
            }
        }
    }

    @Property
    void replaceKeepsPriorityOnlyWhenQuantityDoesNotGrowAtTheSamePrice(@ForAll("commands") List<Command> commands,
                                                                      @ForAll SelfTradePrevention stp) {
        BookScenario scenario = BookScenario.run(stp, commands);
        Map<Long, Long> price = new HashMap<>();
        Map<Long, Long> quantity = new HashMap<>();
        for (Step step : scenario.steps) {
            if (step.command() instanceof Command.Submit) {
                Order order = scenario.orders.get(step.orderKey());
                price.put(order.key(), order.priceTicks());
                quantity.put(order.key(), order.quantity());
            }
            if (step.command() instanceof Command.Replace replace && step.result() == BookResult.OK) {
                boolean keeps = replace.priceTicks() == price.get(step.orderKey())
                        && replace.quantity() <= quantity.get(step.orderKey());
                Replaced replaced = (Replaced) step.events().getFirst();
                assertThat(replaced.keptPriority()).as("%s of %d@%d", replace, quantity.get(step.orderKey()),
                        price.get(step.orderKey())).isEqualTo(keeps);
                assertThat(replaced.priceTicks()).isEqualTo(replace.priceTicks());
                assertThat(replaced.quantity()).isEqualTo(replace.quantity());
                if (keeps) {
                    assertThat(step.events()).hasSize(1);
                }
                price.put(step.orderKey(), replace.priceTicks());
                quantity.put(step.orderKey(), replace.quantity());
            }
        }
    }

    @Property
    void expiryTakesExactlyTheDayOrdersPlacedBeforeTheCutoffInKeyOrder(@ForAll("commands") List<Command> commands,
                                                                       @ForAll SelfTradePrevention stp) {
        BookScenario scenario = BookScenario.run(stp, commands);
        boolean anyExpired = false;
        for (Step step : scenario.steps) {
            if (!(step.command() instanceof Command.ExpireDay)) {
                assertThat(step.events()).noneMatch(e -> e instanceof Expired);
                continue;
            }
            List<BookEvent> expected = new ArrayList<>();
            step.leavesBefore().keySet().stream().sorted()
                    .filter(key -> scenario.orders.get(key).timeInForce() == TimeInForce.DAY
                            && scenario.orders.get(key).timestamp() < step.expiryCutoff())
                    .forEach(key -> expected.add(new Expired(key, step.leavesBefore().get(key))));
            assertThat(step.events()).isEqualTo(expected);
            anyExpired |= !expected.isEmpty();
        }
        Statistics.label("something expired").collect(anyExpired);
        Statistics.label("something expired").coverage(coverage -> coverage.check(true).percentage(p -> p > 15));
    }

    @Property
    void sameCommandsYieldTheSameEventsOnFreshAndOnReusedBooks(@ForAll("commands") List<Command> commands,
                                                              @ForAll SelfTradePrevention stp) {
        BookScenario first = BookScenario.run(stp, commands);
        BookScenario second = BookScenario.run(stp, commands);
        assertThat(second.events()).isEqualTo(first.events());
        assertThat(second.results()).isEqualTo(first.results());

        // A book whose key map, pools and level arrays were shaped by another history must answer the same.
        RecordingListener listener = new RecordingListener();
        OrderBook reused = new OrderBook("ACME", stp, listener);
        for (int i = 0; i < 300; i++) {
            boolean buy = i % 2 == 0;
            reused.submit(1_000_000 + i * 31L, "zed", buy ? Side.BUY : Side.SELL, OrderType.LIMIT, TimeInForce.DAY,
                    buy ? 50 - i % 40 : 150 + i % 40, 1 + i % 5, 0);
        }
        for (int i = 299; i >= 0; i -= 2) {
            reused.cancel(1_000_000 + i * 31L);
        }
        reused.expireDayOrders(1);
        listener.drain();
        BookScenario onReused = BookScenario.run(reused, listener, commands);
        assertThat(onReused.events()).isEqualTo(first.events());
        assertThat(onReused.results()).isEqualTo(first.results());
    }

    private static long open(long key, Map<Long, Long> quantity, Map<Long, Long> filled) {
        return quantity.get(key) - filled.getOrDefault(key, 0L);
    }

    private static long tradedAsAggressor(Step step, long key) {
        return step.events().stream().filter(e -> e instanceof Trade t && t.aggressorKey() == key)
                .mapToLong(e -> ((Trade) e).quantity()).sum();
    }

    private static void assertNothingLeftToTrade(Order order, Depth after) {
        List<Depth.Level> opposite = order.side() == Side.BUY ? after.asks() : after.bids();
        if (order.type() == OrderType.MARKET) {
            assertThat(opposite).as("%s canceled while the other side still had orders", order).isEmpty();
        } else if (!opposite.isEmpty()) {
            long best = opposite.getFirst().priceTicks();
            assertThat(order.side() == Side.BUY ? best > order.priceTicks() : best < order.priceTicks())
                    .as("%s canceled while %d was still on offer", order, best).isTrue();
        }
    }

    /** Asserts {@code key} is the earliest order at the best price of its side; returns that price. */
    private static long assertNextInLine(TreeMap<Long, ArrayDeque<Long>> side, Side name, long key) {
        assertThat(side).as("%s side is empty", name).isNotEmpty();
        long best = name == Side.BUY ? side.lastKey() : side.firstKey();
        assertThat(side.get(best).peekFirst()).as("order %d is the earliest at the best %s price %d", key, name, best)
                .isEqualTo(key);
        return best;
    }

    private static void leave(Map<Side, TreeMap<Long, ArrayDeque<Long>>> queues, long key) {
        for (TreeMap<Long, ArrayDeque<Long>> side : queues.values()) {
            side.values().forEach(queue -> queue.remove(key));
            side.values().removeIf(ArrayDeque::isEmpty);
        }
    }

    /** The queues as depth levels: price, total of the orders' open quantity, order count; best first. */
    private static List<Depth.Level> levels(Map<Long, ArrayDeque<Long>> queues, Map<Long, Long> leaves) {
        return queues.entrySet().stream().map(e -> new Depth.Level(e.getKey(),
                e.getValue().stream().mapToLong(key -> leaves.getOrDefault(key, 0L)).sum(), e.getValue().size())).toList();
    }
}
