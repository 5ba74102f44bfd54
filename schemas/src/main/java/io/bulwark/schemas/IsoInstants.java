package io.bulwark.schemas;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;

/**
 * Parses ISO-8601 instants as {@link Instant#parse} does, faster for the one form every Bulwark writer and
 * {@link Instant#toString} produce: {@code yyyy-MM-ddTHH:mm:ss[.f…]Z}, 1 to 9 fraction digits, upper-case
 * {@code T} and {@code Z}. Every envelope read parses its {@code occurredAt} header, and the JDK's general
 * formatter (field maps, resolvers) was half of reading the headers (benchmarks/PROFILES.md, 2026-12-03).
 *
 * <p>Anything else — offsets, lower case, leap seconds, {@code 24:00}, years beyond four digits, text that is
 * not an instant at all — goes to {@link Instant#parse}, so what is accepted, what it means and how a
 * refusal reads are the JDK's (a property test holds the two to the same answers).
 */
final class IsoInstants {

    private IsoInstants() {}

    /** The instant {@code text} names, exactly as {@link Instant#parse} reads it. */
    static Instant parse(String text) {
        Instant fast = canonical(text);
        return fast != null ? fast : Instant.parse(text);
    }

    /** The instant of the canonical form, or {@code null} when {@code text} is not in it. */
    private static Instant canonical(String text) {
        int length = text.length();
        if (length < 20
                || length == 21
                || length > 30
                || text.charAt(4) != '-'
                || text.charAt(7) != '-'
                || text.charAt(10) != 'T'
                || text.charAt(13) != ':'
                || text.charAt(16) != ':'
                || text.charAt(length - 1) != 'Z'
                || (length > 20 && text.charAt(19) != '.')) {
            return null;
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 7);
        int day = digits(text, 8, 10);
        int hour = digits(text, 11, 13);
        int minute = digits(text, 14, 16);
        int second = digits(text, 17, 19);
        int fraction = length > 20 ? digits(text, 20, length - 1) : 0;
        if (year < 0
                || month < 0
                || day < 0
                || hour < 0
                || hour > 23
                || minute < 0
                || minute > 59
                || second < 0
                || second > 59
                || fraction < 0) {
            return null;
        }
        for (int i = length; i < 30; i++) {
            fraction *= 10; // nine digits end at index 29: "…05.12Z" is 120,000,000 ns
        }
        long epochDay;
        try {
            epochDay = LocalDate.of(year, month, day).toEpochDay();
        } catch (DateTimeException e) {
            return null; // 2026-02-30 and the like: let the JDK say why
        }
        return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3_600L + minute * 60L + second, fraction);
    }

    /** The decimal number in {@code text[from, to)}, or -1 when a character there is not an ASCII digit. */
    private static int digits(String text, int from, int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }
}
