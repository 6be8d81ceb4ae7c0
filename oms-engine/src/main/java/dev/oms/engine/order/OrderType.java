package dev.oms.engine.order;

/** FIX OrdType (tag 40): LIMIT carries a price, MARKET takes what the book offers. */
public enum OrderType {
    LIMIT, MARKET
}
