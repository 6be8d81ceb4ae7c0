package dev.oms.streaming.kafka.handler;

import dev.oms.streaming.EmbeddedBroker;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.RequestContext;

/**
 * InitProducerId for idempotent producers: a producer id never used before (epoch 0), or, for a
 * producer that asks to bump its epoch after an error (KIP-360), the same id with the next epoch.
 * Transactions are not offered: a transactional id is refused.
 */
final class InitProducerIdHandler extends VersionedHandler<InitProducerIdRequest> {
    private final EmbeddedBroker broker;

    InitProducerIdHandler(EmbeddedBroker broker) {
        super(ApiKeys.INIT_PRODUCER_ID, 0, 5);
        this.broker = broker;
    }

    @Override
    public InitProducerIdResponse handle(RequestContext context, InitProducerIdRequest request) throws Exception {
        InitProducerIdResponseData response = new InitProducerIdResponseData()
                .setProducerId(RecordBatch.NO_PRODUCER_ID).setProducerEpoch(RecordBatch.NO_PRODUCER_EPOCH);
        if (request.data().transactionalId() != null) {
            return new InitProducerIdResponse(response.setErrorCode(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.code()));
        }
        long producerId = request.data().producerId();
        short epoch = request.data().producerEpoch();
        if (producerId >= 0 && epoch >= 0 && epoch < Short.MAX_VALUE - 1) {
            return new InitProducerIdResponse(response.setErrorCode(Errors.NONE.code())
                    .setProducerId(producerId).setProducerEpoch((short) (epoch + 1)));
        }
        return new InitProducerIdResponse(response.setErrorCode(Errors.NONE.code())
                .setProducerId(broker.nextProducerId()).setProducerEpoch((short) 0));
    }
}
