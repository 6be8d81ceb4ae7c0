package dev.oms.engine.book;

import java.util.ArrayList;
import java.util.List;

import dev.oms.engine.order.Side;

/** Every level of a book as values, best first, for comparing book states in tests. */
record Depth(List<Level> bids, List<Level> asks) {

    record Level(long priceTicks, long quantity, int orderCount) {
    }

    static Depth of(OrderBook book) {
        DepthSnapshot snapshot = new DepthSnapshot(256);
        book.depth(snapshot);
        return new Depth(levels(snapshot, Side.BUY), levels(snapshot, Side.SELL));
    }

    private static List<Level> levels(DepthSnapshot snapshot, Side side) {
        List<Level> levels = new ArrayList<>();
        for (int i = 0; i < snapshot.levels(side); i++) {
            levels.add(new Level(snapshot.priceTicks(side, i), snapshot.quantity(side, i), snapshot.orderCount(side, i)));
        }
        return List.copyOf(levels);
    }
}
