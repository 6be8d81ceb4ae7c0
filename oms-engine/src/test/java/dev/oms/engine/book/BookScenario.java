package dev.oms.engine.book;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;

/**
 * Runs a sequence of commands against a book and keeps, for every step, the command, the book's answer,
 * the events and the book's state before and after, so properties can judge the whole history.
 */
final class BookScenario {
    static final List<String> ACCOUNTS = List.of("alice", "bob", "carol");
    /** Record time advances by this much per command. */
    static final long TICK = 10;
    private static final long NO_ORDER = -1;
    private static final long NEVER_PLACED = 424_242;

    sealed interface Command {
        record Submit(int account, Side side, OrderType type, TimeInForce timeInForce, long priceTicks, long quantity)
                implements Command {
        }

        /** Cancels the {@code target}-th placed order (modulo how many there are), whatever state it is in. */
        record Cancel(int target) implements Command {
        }

        record Replace(int target, long priceTicks, long quantity) implements Command {
        }

        /** Expires DAY orders placed more than {@code lag} commands ago. */
        record ExpireDay(int lag) implements Command {
        }
    }

    record Order(long key, String account, Side side, OrderType type, TimeInForce timeInForce, long priceTicks,
                 long quantity, long timestamp) {
        boolean mayRest() {
            return type == OrderType.LIMIT && (timeInForce == TimeInForce.GTC || timeInForce == TimeInForce.DAY);
        }
    }

    /**
     * @param orderKey     the order the command is about; none for an expiry
     * @param expiryCutoff the expiry's {@code beforeTimestamp}; only for an expiry
     * @param leavesBefore open quantity of every resting order before the command
     * @param leavesAfter  the same after it
     */
    record Step(Command command, long orderKey, long timestamp, long expiryCutoff, BookResult result,
                List<BookEvent> events, Depth before, Depth after, long bestBid, long bestAsk,
                Map<Long, Long> leavesBefore, Map<Long, Long> leavesAfter) {
    }

    final Map<Long, Order> orders = new LinkedHashMap<>();
    final List<Step> steps = new ArrayList<>();
    private final List<Long> placed = new ArrayList<>();

    static BookScenario run(SelfTradePrevention selfTradePrevention, List<Command> commands) {
        RecordingListener listener = new RecordingListener();
        return run(new OrderBook("ACME", selfTradePrevention, listener), listener, commands);
    }

    static BookScenario run(OrderBook book, RecordingListener listener, List<Command> commands) {
        BookScenario scenario = new BookScenario();
        for (int i = 0; i < commands.size(); i++) {
            scenario.apply(book, listener, i, commands.get(i));
        }
        return scenario;
    }

    /** Keys are unique but not in submission order, so that ordering by key is visible. */
    static long keyOf(int step) {
        return (step + 1) * 7_919L % 100_003;
    }

    List<BookEvent> events() {
        return steps.stream().flatMap(step -> step.events().stream()).toList();
    }

    List<BookResult> results() {
        return steps.stream().map(Step::result).toList();
    }

    private void apply(OrderBook book, RecordingListener listener, int index, Command command) {
        long timestamp = index * TICK;
        Depth before = Depth.of(book);
        Map<Long, Long> leavesBefore = resting(book);
        long key = NO_ORDER;
        long cutoff = 0;
        BookResult result;
        switch (command) {
            case Command.Submit submit -> {
                key = keyOf(index);
                Order order = new Order(key, ACCOUNTS.get(submit.account()), submit.side(), submit.type(),
                        submit.timeInForce(), submit.priceTicks(), submit.quantity(), timestamp);
                orders.put(key, order);
                placed.add(key);
                result = book.submit(key, order.account(), order.side(), order.type(), order.timeInForce(),
                        order.priceTicks(), order.quantity(), timestamp);
            }
            case Command.Cancel cancel -> {
                key = target(cancel.target());
                result = book.cancel(key);
            }
            case Command.Replace replace -> {
                key = target(replace.target());
                result = book.replace(key, replace.priceTicks(), replace.quantity());
            }
            case Command.ExpireDay expire -> {
                cutoff = timestamp - expire.lag() * TICK;
                book.expireDayOrders(cutoff);
                result = BookResult.OK;
            }
        }
        steps.add(new Step(command, key, timestamp, cutoff, result, listener.drain(), before, Depth.of(book),
                book.bestBid(), book.bestAsk(), leavesBefore, resting(book)));
    }

    private long target(int target) {
        return placed.isEmpty() ? NEVER_PLACED : placed.get(target % placed.size());
    }

    private Map<Long, Long> resting(OrderBook book) {
        Map<Long, Long> leaves = new LinkedHashMap<>();
        for (long key : orders.keySet()) {
            if (book.isResting(key)) {
                leaves.put(key, book.leavesQuantity(key));
            }
        }
        return leaves;
    }
}
