package dev.oms.engine.book;

import java.util.ArrayList;
import java.util.List;

import dev.oms.engine.order.Side;

/**
 * A copy of the top of a symbol's book, safe to hand to any thread.
 *
 * @param bids best (highest) first
 * @param asks best (lowest) first
 */
public record BookView(String symbol, List<Level> bids, List<Level> asks) {

    /** One price level: its price in ticks, the open quantity at it, and how many orders make it up. */
    public record Level(long priceTicks, long quantity, int orders) {
    }

    /** Copies {@code depth} levels per side out of the book. Call on the book's owning thread. */
    public static BookView of(OrderBook book, int depth) {
        DepthSnapshot snapshot = new DepthSnapshot(depth);
        book.depth(snapshot);
        return new BookView(book.symbol(), levels(snapshot, Side.BUY), levels(snapshot, Side.SELL));
    }

    public static BookView empty(String symbol) {
        return new BookView(symbol, List.of(), List.of());
    }

    private static List<Level> levels(DepthSnapshot snapshot, Side side) {
        List<Level> levels = new ArrayList<>(snapshot.levels(side));
        for (int i = 0; i < snapshot.levels(side); i++) {
            levels.add(new Level(snapshot.priceTicks(side, i), snapshot.quantity(side, i), snapshot.orderCount(side, i)));
        }
        return List.copyOf(levels);
    }
}
