package dev.oms.engine.log;

/** The in-process adapter passes the contract. */
class EmbeddedOrderLogTest extends OrderLogContract {
    @Override
    OrderLog open(BrokerUnderTest broker) throws Exception {
        return new EmbeddedOrderLog(broker.broker(), Topics.ORDERS);
    }
}
