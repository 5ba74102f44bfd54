package io.bulwark.orders;

import java.util.Map;

/**
 * An answer that is an RFC 9457 problem: thrown anywhere on the request path, written by the
 * server. {@code code} is stable; clients switch on it, not on {@code detail}.
 */
public final class ApiProblem extends RuntimeException {

    private final int status;
    private final String code;
    private final Map<String, String> headers;

    public ApiProblem(int status, String code, String detail) {
        this(status, code, detail, Map.of());
    }

    public ApiProblem(int status, String code, String detail, Map<String, String> headers) {
        super(detail, null, false, false);
        this.status = status;
        this.code = code;
        this.headers = Map.copyOf(headers);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public Map<String, String> headers() {
        return headers;
    }

    static String title(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            case 413 -> "Content Too Large";
            case 415 -> "Unsupported Media Type";
            case 422 -> "Unprocessable Content";
            case 429 -> "Too Many Requests";
            case 503 -> "Service Unavailable";
            default -> status >= 500 ? "Internal Server Error" : "Error";
        };
    }
}
