package io.bulwark.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;

class EventSchemasTest {

    private final EventSchemas schemas = EventSchemas.load();

    @Test
    void shouldAcceptValidEvent() {
        assertThatCode(() -> schemas.validate(EventEnvelopeSerdeTest.event())).doesNotThrowAnyException();
    }

    @Test
    void shouldNameEveryViolatedFieldOfPayload() {
        ObjectNode payload = EventEnvelopeSerdeTest.orderPlaced();
        payload.put("currency", "euro");
        payload.remove("customerId");
        ((ObjectNode) payload.withArray("lines").get(0)).put("quantity", 0);

        assertThatThrownBy(() -> schemas.validatePayload("OrderPlaced", payload))
                .isInstanceOfSatisfying(SchemaViolationException.class, e -> {
                    assertThat(e.schema()).isEqualTo("OrderPlaced");
                    assertThat(e.violations()).hasSize(3);
                    assertThat(e.getMessage())
                            .contains("currency")
                            .contains("customerId")
                            .contains("quantity");
                });
    }

    @Test
    void shouldRejectUnknownEventType() {
        assertThatThrownBy(() -> schemas.validatePayload("OrderTeleported", EventEnvelopeSerdeTest.orderPlaced()))
                .isInstanceOf(SchemaViolationException.class)
                .hasMessageContaining("no schema is registered for event type 'OrderTeleported'");
    }

    @Test
    void shouldRejectEnvelopeJsonWithMalformedFields() {
        // JSON arriving from outside (HTTP, files) is checked before it becomes a record.
        ObjectNode json = Json.mapper().valueToTree(EventEnvelopeSerdeTest.event());
        json.put("eventId", "12345");
        json.put("occurredAt", "yesterday");
        json.put("extra", true);
        assertThatThrownBy(() -> schemas.validateEnvelopeJson(json))
                .asInstanceOf(InstanceOfAssertFactories.type(SchemaViolationException.class))
                .extracting(SchemaViolationException::violations)
                .asInstanceOf(InstanceOfAssertFactories.list(String.class))
                .anySatisfy(v -> assertThat(v).contains("eventId"))
                .anySatisfy(v -> assertThat(v).contains("occurredAt"))
                .anySatisfy(v -> assertThat(v).contains("extra"));
    }

    @Test
    void shouldHaveSchemaForEveryRegisteredType() {
        for (EventType type : EventTypes.all()) {
            assertThat(schemas.knows(type.name())).as(type.name()).isTrue();
        }
    }
}
