package io.bulwark.streams.query;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.schemas.Json;

/** The OpenAPI 3.1 description of the query API, generated from the registry so it cannot drift. */
final class OpenApiDocument {

    private OpenApiDocument() {}

    static ObjectNode build(QueryRegistry registry, boolean authEnabled) {
        ObjectNode doc = Json.mapper().createObjectNode().put("openapi", "3.1.0");
        doc.putObject("info")
                .put("title", "Bulwark interactive queries")
                .put("version", "1")
                .put(
                        "description",
                        "Reads of the streams app's state stores. Any instance answers: a key "
                                + "owned elsewhere is forwarded one hop (Bulwark-Forwarded: true), a standby answers "
                                + "when the owner is down (Bulwark-Stale: true), and 503 + Retry-After when nobody "
                                + "can within the retry window.");
        ObjectNode paths = doc.putObject("paths");
        for (QueryEndpoint endpoint : registry.endpoints()) {
            ObjectNode get = paths.putObject(endpoint.path())
                    .putObject("get")
                    .put("operationId", endpoint.name())
                    .put("summary", endpoint.summary());
            ArrayNode parameters = get.putArray("parameters");
            if (endpoint.keyed()) {
                parameters
                        .addObject()
                        .put("name", "id")
                        .put("in", "path")
                        .put("required", true)
                        .putObject("schema")
                        .put("type", "string");
            }
            if (endpoint.shape() == QueryEndpoint.Shape.VERSIONED_KEY) {
                time(parameters, "asOf", "Read the value as it was at this time (ISO-8601 or epoch ms)");
            }
            if (endpoint.shape() == QueryEndpoint.Shape.WINDOWS) {
                time(parameters, "from", "Earliest window start (default: to - 1 h)");
                time(parameters, "to", "Latest window start (default: now)");
            }
            if (endpoint.shape() == QueryEndpoint.Shape.ALL) {
                parameters
                        .addObject()
                        .put("name", "limit")
                        .put("in", "query")
                        .put("required", false)
                        .put(
                                "description",
                                "Entries per page (default " + QueryParams.DEFAULT_LIMIT + ", at most "
                                        + QueryParams.MAX_LIMIT + ")")
                        .putObject("schema")
                        .put("type", "integer")
                        .put("minimum", 1)
                        .put("maximum", QueryParams.MAX_LIMIT);
                parameters
                        .addObject()
                        .put("name", "after")
                        .put("in", "query")
                        .put("required", false)
                        .put("description", "The previous page's nextCursor: entries with keys after it")
                        .putObject("schema")
                        .put("type", "string");
            }
            parameters
                    .addObject()
                    .put("name", "If-None-Match")
                    .put("in", "header")
                    .put("required", false)
                    .putObject("schema")
                    .put("type", "string");
            ObjectNode responses = get.putObject("responses");
            responses
                    .putObject("200")
                    .put("description", "The value, with ETag and Cache-Control")
                    .putObject("content")
                    .putObject("application/json")
                    .putObject("schema")
                    .put("type", "object");
            responses.putObject("304").put("description", "Not modified (If-None-Match matched the ETag)");
            problem(responses, "400", "bad-parameter");
            if (authEnabled) {
                problem(responses, "401", "unauthenticated, invalid-credentials");
                problem(responses, "403", "forbidden");
            }
            if (endpoint.shape() == QueryEndpoint.Shape.KEY || endpoint.shape() == QueryEndpoint.Shape.VERSIONED_KEY) {
                problem(responses, "404", "unknown-id");
            }
            problem(responses, "503", "store-unavailable (with Retry-After)");
        }
        ObjectNode components = doc.putObject("components");
        ObjectNode problem = components
                .putObject("schemas")
                .putObject("Problem")
                .put("type", "object")
                .put("description", "RFC 9457 problem details; 'code' is stable");
        ObjectNode properties = problem.putObject("properties");
        for (String field : new String[] {"type", "title", "code", "detail", "instance"}) {
            properties.putObject(field).put("type", "string");
        }
        properties.putObject("status").put("type", "integer");
        if (authEnabled) {
            ObjectNode schemes = components.putObject("securitySchemes");
            schemes.putObject("bearer").put("type", "http").put("scheme", "bearer");
            schemes.putObject("apiKey")
                    .put("type", "apiKey")
                    .put("in", "header")
                    .put("name", "X-API-Key");
            ArrayNode security = doc.putArray("security");
            security.addObject().putArray("bearer");
            security.addObject().putArray("apiKey");
        }
        return doc;
    }

    private static void time(ArrayNode parameters, String name, String description) {
        parameters
                .addObject()
                .put("name", name)
                .put("in", "query")
                .put("required", false)
                .put("description", description)
                .putObject("schema")
                .put("type", "string");
    }

    private static void problem(ObjectNode responses, String status, String codes) {
        responses
                .putObject(status)
                .put("description", "Problem: " + codes)
                .putObject("content")
                .putObject("application/problem+json")
                .putObject("schema")
                .put("$ref", "#/components/schemas/Problem");
    }
}
