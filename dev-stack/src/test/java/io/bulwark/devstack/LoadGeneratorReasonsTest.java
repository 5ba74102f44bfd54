package io.bulwark.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LoadGeneratorReasonsTest {

    @Test
    void shouldCountReasonsOfOneKindTogether() {
        String first =
                "{\"orderId\":\"o-1\",\"reason\":\"reserve-stock + authorize-payment: no reply after 1 attempt(s)\"}";
        String second =
                "{\"orderId\":\"o-2\",\"reason\":\"reserve-stock + authorize-payment: no reply after 3 attempt(s)\"}";

        assertThat(LoadGenerator.reasonKind(bytes(first)))
                .isEqualTo(LoadGenerator.reasonKind(bytes(second)))
                .isEqualTo("reserve-stock + authorize-payment: no reply after # attempt(s)");
    }

    @Test
    void shouldBlankIdsAndReadAReasonInsideAnEnvelope() {
        String envelope = "{\"payload\":{\"reason\":\"reserve-stock: command 0f8fad5b-d9cb-469f-a165-70867728950e"
                + " refused: sku-17 has 0 available\"}}";

        assertThat(LoadGenerator.reasonKind(bytes(envelope)))
                .isEqualTo("reserve-stock: command <id> refused: sku-# has # available");
    }

    @Test
    void shouldNameAnOutcomeItCannotRead() {
        assertThat(LoadGenerator.reasonKind(bytes("not json"))).isEqualTo("? (unreadable outcome)");
        assertThat(LoadGenerator.reasonKind(bytes("{}"))).isEqualTo("?");
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
