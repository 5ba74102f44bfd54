package io.bulwark.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;

class EventSchemasTest {

    private final EventSchemas schemas = EventSchemas.load();

    @Test
    void shouldAcceptValidEvent() {
        assertThatCode(() -> schemas.validate(EventEnvelopeSerdeTest.event())).doesNotThrowAnyException();
    }

    @Property(tries = 2_000)
    void shouldSkipTheValidatorOnlyForEnvelopesTheSchemaAccepts(
            @ForAll("envelopes") EventEnvelope event,
            @ForAll("ids") String correlation,
            @ForAll("ids") String causation) {
        EventEnvelope withIds = event.withCorrelation(correlation, causation);
        boolean skipped = EventSchemas.meetsEnvelopeSchema(withIds);
        Statistics.label("validator skipped").collect(skipped);

        if (skipped) {
            assertThat(violations(Json.mapper().valueToTree(withIds))).isEmpty();
        }
    }

    @Test
    void shouldSkipTheValidatorForEnvelopesAsBulwarkWritesThem() {
        assertThat(EventSchemas.meetsEnvelopeSchema(EventEnvelopeSerdeTest.event()))
                .isTrue();
    }

    @Test
    void shouldStillNameWhatBreaksTheEnvelopeWhenTheValidatorIsNotSkipped() {
        EventEnvelope tooLong = EventEnvelopeSerdeTest.event().withCorrelation("c".repeat(256), null);

        assertThatThrownBy(() -> schemas.validate(tooLong))
                .isInstanceOf(SchemaViolationException.class)
                .hasMessageContaining("correlationId");
    }

    @Test
    void shouldFailWhenTheEnvelopeSchemaChangesSoThatTheShortcutIsRevisited() throws Exception {
        // EventSchemas.meetsEnvelopeSchema restates what envelope.schema.json asks beyond EventEnvelope's own checks.
        // Changed the schema? Check that method against it, then put the new digest here.
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(EventSchemas.ENVELOPE_SCHEMA)) {
            String canonical = Json.mapper().readTree(in).toString();
            String digest = HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8)));
            assertThat(digest).as("SHA-256 of envelope.schema.json (as parsed)").isEqualTo(ENVELOPE_SCHEMA_DIGEST);
        }
    }

    private static final String ENVELOPE_SCHEMA_DIGEST =
            "98b1d38c0bfae837cd2be80acb5cd1dbe0e08e009f302bd46b985ae17fd35a83";

    @Provide
    Arbitrary<String> ids() {
        return Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(300).injectNull(0.2),
                Arbitraries.strings()
                        .withCharRange('\uD800', '\uDFFF')
                        .ofMinLength(250)
                        .ofMaxLength(300),
                Arbitraries.of("", " ", "x".repeat(255), "x".repeat(256)));
    }

    @Provide
    Arbitrary<EventEnvelope> envelopes() {
        Arbitrary<Instant> instants = Arbitraries.longs()
                .between(Instant.parse("0000-01-01T00:00:00Z").getEpochSecond(), Instant.MAX.getEpochSecond())
                .flatMap(s -> Arbitraries.integers().between(0, 999_999_999).map(n -> Instant.ofEpochSecond(s, n)));
        return Combinators.combine(
                        Arbitraries.of("OrderPlaced", "InventoryReserved", "Q"),
                        Arbitraries.of("order", "inventory", "a-1"),
                        Arbitraries.strings().ofMinLength(1).ofMaxLength(255).filter(s -> !s.isBlank()),
                        Arbitraries.longs().greaterOrEqual(0).injectNull(0.3),
                        instants,
                        Arbitraries.of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
                                .injectNull(0.5))
                .as((type, aggregateType, id, version, at, trace) -> new EventEnvelope(
                        UUID.randomUUID(),
                        type,
                        aggregateType,
                        id,
                        version,
                        at,
                        null,
                        null,
                        trace,
                        EventEnvelopeSerdeTest.orderPlaced()));
    }

    /** What the envelope schema says of {@code json} (its payload's schema is checked after it, and ignored here). */
    private List<String> violations(JsonNode json) {
        try {
            schemas.validateEnvelopeJson(json);
            return List.of();
        } catch (SchemaViolationException e) {
            return e.schema().equals("envelope") ? e.violations() : List.of();
        }
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
