package io.bulwark.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class IsoInstantsTest {

    @Property
    void shouldReadWhatInstantWritesAsTheJdkDoes(@ForAll("instants") Instant instant) {
        assertThat(IsoInstants.parse(instant.toString())).isEqualTo(Instant.parse(instant.toString()));
    }

    @Property
    void shouldAgreeWithTheJdkOnNearMissesAndNonsense(@ForAll("nearMisses") String text) {
        Instant jdk;
        try {
            jdk = Instant.parse(text);
        } catch (DateTimeParseException e) {
            assertThatThrownBy(() -> IsoInstants.parse(text)).isInstanceOf(DateTimeParseException.class);
            return;
        }
        assertThat(IsoInstants.parse(text)).isEqualTo(jdk);
    }

    @Test
    void shouldLeaveEveryOtherFormToTheJdk() {
        for (String text : new String[] {
            "2026-12-03T00:21:15.612Z",
            "2026-12-03t00:21:15z",
            "2026-12-03T00:21:15+01:00",
            "2026-12-31T23:59:60Z",
            "+12026-12-03T00:00:00Z",
            "2024-02-29T00:00:00.000000001Z"
        }) {
            assertThat(IsoInstants.parse(text)).as(text).isEqualTo(Instant.parse(text));
        }
        assertThatThrownBy(() -> IsoInstants.parse("2026-02-30T00:00:00Z"))
                .isInstanceOf(DateTimeParseException.class)
                .hasMessageContaining("2026-02-30");
    }

    @Provide
    Arbitrary<Instant> instants() {
        return Combinators.combine(
                        Arbitraries.longs()
                                .between(
                                        Instant.parse("0000-01-01T00:00:00Z").getEpochSecond(),
                                        Instant.parse("9999-12-31T23:59:59Z").getEpochSecond()),
                        Arbitraries.oneOf(
                                Arbitraries.just(0),
                                Arbitraries.integers().between(0, 999).map(ms -> ms * 1_000_000),
                                Arbitraries.integers().between(0, 999_999_999)))
                .as(Instant::ofEpochSecond);
    }

    /** Canonical text with one character replaced, dropped or added: dates that do not exist, stray signs, … */
    @Provide
    Arbitrary<String> nearMisses() {
        Arbitrary<String> canonical = instants().map(Instant::toString);
        Arbitrary<Character> noise = Arbitraries.of('0', '9', '3', '-', ':', '.', 'T', 'Z', 'z', '+', ' ', '٣');
        return Combinators.combine(
                        canonical,
                        Arbitraries.integers().between(0, 29),
                        noise,
                        Arbitraries.integers().between(0, 2))
                .as((text, at, c, edit) -> {
                    int i = Math.min(at, text.length() - 1);
                    return switch (edit) {
                        case 0 -> text.substring(0, i) + c + text.substring(i + 1);
                        case 1 -> text.substring(0, i) + text.substring(i + 1);
                        default -> text.substring(0, i) + c + text.substring(i);
                    };
                });
    }
}
