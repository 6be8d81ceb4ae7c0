package dev.oms.streaming.kafka.handler;

import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.RequestContext;

/** ApiVersions: which APIs and versions this broker serves, taken from the handler registry. */
final class ApiVersionsHandler extends VersionedHandler<ApiVersionsRequest> {
    private final ApiHandlers handlers;

    ApiVersionsHandler(ApiHandlers handlers) {
        super(ApiKeys.API_VERSIONS, 0, 4);
        this.handlers = handlers;
    }

    @Override
    public ApiVersionsResponse handle(RequestContext context, ApiVersionsRequest request) {
        ApiVersionsResponseData data = new ApiVersionsResponseData().setApiKeys(handlers.apiVersions());
        if (context.header.apiVersion() > maxVersion()) {
            // A newer client: answer in v0 with the list, so it can pick a version we share.
            return new ApiVersionsResponse(data.setErrorCode(Errors.UNSUPPORTED_VERSION.code()));
        }
        if (!request.isValid()) {
            return new ApiVersionsResponse(data.setErrorCode(Errors.INVALID_REQUEST.code()));
        }
        return new ApiVersionsResponse(data.setErrorCode(Errors.NONE.code()));
    }
}
