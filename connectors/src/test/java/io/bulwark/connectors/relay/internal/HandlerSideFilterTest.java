package io.bulwark.connectors.relay.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.connectors.relay.ConnectorDefinition;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

class HandlerSideFilterTest {

    private static final Map<String, String> SHIPPED =
            ConnectorDefinition.outbox().config();

    @Test
    void shouldRunTheShippedChainWithoutItsFilterAndTheRouterSkippingWhatTheFilterDrops() {
        try (HandlerSideFilter filter = HandlerSideFilter.of(SHIPPED)) {
            Map<String, String> engine = filter.engineConfig();
            assertThat(engine.get("transforms")).isEqualTo("outbox");
            assertThat(engine)
                    .doesNotContainKeys("transforms.dropNonEvents.type", "transforms.dropNonEvents.predicate");
            assertThat(engine)
                    .containsEntry("transforms.outbox.predicate", "isNotAnEvent")
                    .containsEntry("transforms.outbox.negate", "true")
                    .containsEntry("transforms.outbox.type", SHIPPED.get("transforms.outbox.type"))
                    .containsEntry("predicates.isNotAnEvent.pattern", SHIPPED.get("predicates.isNotAnEvent.pattern"));
        }
    }

    @Test
    void shouldDropHeartbeatsOfBothKindsAndKeepOutboxRows() {
        try (HandlerSideFilter filter = HandlerSideFilter.of(SHIPPED)) {
            assertThat(filter.drops(record("__debezium-heartbeat.bulwark-outbox")))
                    .isTrue();
            assertThat(filter.drops(record("bulwark-outbox.bulwark.bulwark_heartbeat")))
                    .isTrue();
            assertThat(filter.drops(record("bulwark-outbox.bulwark.bulwark_outbox")))
                    .isFalse();
            assertThat(filter.drops(record("bulwark.order.events"))).isFalse();
        }
    }

    @Test
    void shouldHonourANegatedFilter() {
        Map<String, String> config = new HashMap<>(SHIPPED);
        config.put("transforms.dropNonEvents.negate", "true");
        try (HandlerSideFilter filter = HandlerSideFilter.of(config)) {
            assertThat(filter.engineConfig()).containsEntry("transforms.outbox.negate", "false");
            assertThat(filter.drops(record("__debezium-heartbeat.bulwark-outbox")))
                    .isFalse();
            assertThat(filter.drops(record("bulwark-outbox.bulwark.bulwark_outbox")))
                    .isTrue();
        }
    }

    @Test
    void shouldLeaveAChainWithoutAFilterAlone() {
        Map<String, String> config = new HashMap<>(SHIPPED);
        config.put("transforms", "outbox");
        try (HandlerSideFilter filter = HandlerSideFilter.of(config)) {
            assertThat(filter.engineConfig()).isEqualTo(config);
            assertThat(filter.drops(record("__debezium-heartbeat.bulwark-outbox")))
                    .isFalse();
        }
    }

    @Test
    void shouldRefuseShapesItCannotKeepEquivalentNamingTheSetting() {
        Map<String, String> late = new HashMap<>(SHIPPED);
        late.put("transforms", "outbox,dropNonEvents");
        assertThatThrownBy(() -> HandlerSideFilter.of(late))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("transforms = outbox,dropNonEvents");

        Map<String, String> unconditional = new HashMap<>(SHIPPED);
        unconditional.remove("transforms.dropNonEvents.predicate");
        assertThatThrownBy(() -> HandlerSideFilter.of(unconditional))
                .hasMessageContaining("transforms.dropNonEvents.predicate is required");

        Map<String, String> twoPredicates = new HashMap<>(SHIPPED);
        twoPredicates.put("transforms.outbox.predicate", "other");
        assertThatThrownBy(() -> HandlerSideFilter.of(twoPredicates))
                .hasMessageContaining("transforms.outbox.predicate");

        Map<String, String> unknown = new HashMap<>(SHIPPED);
        unknown.put("predicates.isNotAnEvent.type", "org.example.Missing");
        assertThatThrownBy(() -> HandlerSideFilter.of(unknown))
                .hasMessageContaining("predicates.isNotAnEvent.type = org.example.Missing");
    }

    private static SourceRecord record(String topic) {
        return new SourceRecord(Map.of(), Map.of(), topic, Schema.STRING_SCHEMA, "value");
    }
}
