package io.bulwark.schemas;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The one Jackson configuration Bulwark reads and writes events with.
 *
 * <p>Readers are tolerant (unknown properties are ignored, so a newer producer does not break an
 * older consumer); strictness comes from JSON Schema validation at the edges, not from Jackson.
 * Instants are written as ISO-8601 strings.
 *
 * <p>Field names are not canonicalized: Bulwark's states hold maps keyed by ids (an inventory item's
 * reservations by order id), and every new id went into Jackson's shared symbol table, so each parse
 * that met one copied the table (up to 6,000 names) first. Without canonicalization the saga
 * benchmark went from ~490 to ~690 orders/s (benchmarks/RESULTS.md, "json-canonicalization").
 */
public final class Json {

    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
                    .build())
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
            .build();

    private Json() {}

    /** The shared, thread-safe mapper. Do not reconfigure it; copy it if you need other settings. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }
}
