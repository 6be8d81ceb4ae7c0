package dev.oms.engine.book;

import java.util.ArrayList;
import java.util.List;

import dev.oms.engine.order.Side;

/** Keeps every event a book reports, in order. */
final class RecordingListener implements BookListener {
    private final List<BookEvent> events = new ArrayList<>();

    /** The events since the last call, and forgets them. */
    List<BookEvent> drain() {
        List<BookEvent> drained = List.copyOf(events);
        events.clear();
        return drained;
    }

    @Override
    public void onTrade(long aggressorKey, long restingKey, Side aggressorSide, long priceTicks, long quantity,
                        long aggressorLeaves, long restingLeaves) {
        events.add(new BookEvent.Trade(aggressorKey, restingKey, aggressorSide, priceTicks, quantity,
                aggressorLeaves, restingLeaves));
    }

    @Override
    public void onRested(long orderKey, Side side, long priceTicks, long leavesQuantity) {
        events.add(new BookEvent.Rested(orderKey, side, priceTicks, leavesQuantity));
    }

    @Override
    public void onReplaced(long orderKey, long priceTicks, long quantity, long leavesQuantity, boolean keptPriority) {
        events.add(new BookEvent.Replaced(orderKey, priceTicks, quantity, leavesQuantity, keptPriority));
    }

    @Override
    public void onCanceled(long orderKey, long canceledQuantity, CancelReason reason) {
        events.add(new BookEvent.Canceled(orderKey, canceledQuantity, reason));
    }

    @Override
    public void onExpired(long orderKey, long expiredQuantity) {
        events.add(new BookEvent.Expired(orderKey, expiredQuantity));
    }
}
