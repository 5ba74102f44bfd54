package io.bulwark.streams.query;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The query-string parameters of a read: {@code asOf} for versioned reads, {@code from}/{@code to}
 * for window reads, {@code limit}/{@code after} for list reads (a page of at most {@code limit} entries,
 * default {@value #DEFAULT_LIMIT}, at most {@value #MAX_LIMIT}, with keys after the cursor {@code after}: the
 * {@code nextCursor} of the previous page). Times are ISO-8601 instants ({@code 2026-11-26T06:00:00Z}) or epoch
 * milliseconds. Unknown parameters are refused, so a typo is a 400, not a silently different answer.
 */
record QueryParams(Instant asOf, Instant from, Instant to, int limit, String after) {

    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1_000;

    /** How far back a window read reaches when {@code from} is not given. */
    static final Duration DEFAULT_WINDOW_SPAN = Duration.ofHours(1);

    private static final Set<String> KNOWN = Set.of("asOf", "from", "to", "limit", "after");

    /** A parameter that cannot be read: the API answers 400 with this message. */
    static final class BadParameter extends RuntimeException {
        BadParameter(String message) {
            super(message);
        }
    }

    static QueryParams parse(String rawQuery, QueryEndpoint.Shape shape, Instant now) {
        Map<String, String> values = new LinkedHashMap<>();
        if (rawQuery != null && !rawQuery.isEmpty()) {
            for (String pair : rawQuery.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                if (!KNOWN.contains(name)) {
                    throw new BadParameter("Unknown parameter '" + name + "'; this endpoint takes " + allowed(shape));
                }
                if (values.put(name, value) != null) {
                    throw new BadParameter("Parameter '" + name + "' is given twice");
                }
            }
        }
        for (String name : values.keySet()) {
            boolean fits = switch (name) {
                case "asOf" -> shape == QueryEndpoint.Shape.VERSIONED_KEY;
                case "limit", "after" -> shape == QueryEndpoint.Shape.ALL;
                default -> shape == QueryEndpoint.Shape.WINDOWS;
            };
            if (!fits) {
                throw new BadParameter(
                        "Parameter '" + name + "' does not apply here; this endpoint takes " + allowed(shape));
            }
        }
        Instant asOf = time(values, "asOf");
        if (asOf != null && asOf.isAfter(now)) {
            asOf = null; // "as of the future" is the latest value
        }
        Instant to = time(values, "to");
        Instant from = time(values, "from");
        if (shape == QueryEndpoint.Shape.WINDOWS) {
            to = to == null ? now : to;
            from = from == null ? to.minus(DEFAULT_WINDOW_SPAN) : from;
            if (from.isAfter(to)) {
                throw new BadParameter("'from' (" + from + ") is after 'to' (" + to + ")");
            }
        }
        int limit = DEFAULT_LIMIT;
        if (values.containsKey("limit")) {
            try {
                limit = Integer.parseInt(values.get("limit"));
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new BadParameter("Parameter 'limit' must be a whole number from 1 to " + MAX_LIMIT + ", not '"
                        + values.get("limit") + "'");
            }
        }
        return new QueryParams(asOf, from, to, limit, values.get("after"));
    }

    private static String allowed(QueryEndpoint.Shape shape) {
        return switch (shape) {
            case VERSIONED_KEY -> "only 'asOf'";
            case WINDOWS -> "only 'from' and 'to'";
            case ALL -> "only 'limit' and 'after'";
            default -> "no parameters";
        };
    }

    private static Instant time(Map<String, String> values, String name) {
        String value = values.get(name);
        if (value == null) {
            return null;
        }
        try {
            if (value.matches("-?\\d{1,18}")) {
                return Instant.ofEpochMilli(Long.parseLong(value));
            }
            Instant parsed = Instant.parse(value);
            parsed.toEpochMilli(); // stores key time in epoch milliseconds: refuse what they cannot hold
            return parsed;
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new BadParameter("Parameter '" + name + "' must be an ISO-8601 instant such as "
                    + "2026-11-26T06:00:00Z or epoch milliseconds, not '" + value + "'");
        }
    }

    private static String decode(String raw) {
        try {
            return URLDecoder.decode(raw, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new BadParameter("Malformed percent-encoding in the query string: " + raw);
        }
    }
}
