package dev.oms.engine.order;

/** FIX Side (tag 54), the two values this service trades. */
public enum Side {
    BUY, SELL
}
