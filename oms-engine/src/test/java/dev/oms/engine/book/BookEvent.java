package dev.oms.engine.book;

import dev.oms.engine.order.Side;

/** One {@link BookListener} call as a value, so tests can compare whole event sequences. */
sealed interface BookEvent {
    long orderKey();

    record Trade(long aggressorKey, long restingKey, Side aggressorSide, long priceTicks, long quantity,
                 long aggressorLeaves, long restingLeaves) implements BookEvent {
        @Override
        public long orderKey() {
            return aggressorKey;
        }
    }

    record Rested(long orderKey, Side side, long priceTicks, long leavesQuantity) implements BookEvent {
    }

    record Replaced(long orderKey, long priceTicks, long quantity, long leavesQuantity, boolean keptPriority)
            implements BookEvent {
    }

    record Canceled(long orderKey, long canceledQuantity, CancelReason reason) implements BookEvent {
    }

    record Expired(long orderKey, long expiredQuantity) implements BookEvent {
    }
}
