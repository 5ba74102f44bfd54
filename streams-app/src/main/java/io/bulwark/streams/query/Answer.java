package io.bulwark.streams.query;

import java.util.List;

/**
 * What the API answers for one read, wherever it was read: the status (200, 404, or 503 when no
 * instance could answer in time), the JSON body, its ETag, whether a standby copy served it, which
 * instances served it, and whether the request was forwarded to get it.
 */
record Answer(
        int status, byte[] body, String etag, boolean stale, List<String> servedBy, boolean forwarded, String detail) {

    static Answer unavailable(String detail) {
        return new Answer(503, new byte[0], null, false, List.of(), false, detail);
    }
}
