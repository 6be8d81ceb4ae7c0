package dev.oms.engine.book;

/**
 * All resting orders at one price on one side, oldest first: an intrusive doubly linked queue, so
 * joining the back and leaving from anywhere cost O(1) and allocate nothing. Pooled by its
 * {@link BookSide}. Engine worker only.
 */
final class PriceLevel {
    long priceTicks;
    /** Sum of the open quantity of the orders in the queue. */
    long totalQuantity;
    int orderCount;
    RestingOrder head;
    RestingOrder tail;
    /** The next free level while pooled. */
    PriceLevel nextFree;

    void append(RestingOrder order) {
        order.level = this;
        order.previous = tail;
        order.next = null;
        if (tail == null) {
            head = order;
        } else {
            tail.next = order;
        }
        tail = order;
        orderCount++;
        totalQuantity += order.leaves();
    }

    /** Takes the order out of the queue; the caller has already accounted for any fill in {@link #totalQuantity}. */
    void unlink(RestingOrder order) {
        if (order.previous == null) {
            head = order.next;
        } else {
            order.previous.next = order.next;
        }
        if (order.next == null) {
            tail = order.previous;
        } else {
            order.next.previous = order.previous;
        }
        orderCount--;
        totalQuantity -= order.leaves();
        order.level = null;
        order.previous = null;
        order.next = null;
    }
}
