package io.bulwark.connectors.relay;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.schemas.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Debezium connector definition ({@code connectors/outbox-connector.json}): the exact JSON a
 * user POSTs to Kafka Connect, and the configuration the embedded relay runs.
 *
 * <p>Environment-specific values are Kafka Connect config-provider references,
 * {@code ${env:NAME}} (a Connect worker resolves them with {@code EnvVarConfigProvider}); the
 * relay resolves them the same way, from the variables it is given or else the environment.
 */
public record ConnectorDefinition(String name, Map<String, String> config) {

    /** Classpath location of the definition shipped in this module. */
    public static final String RESOURCE = "io/bulwark/connectors/outbox-connector.json";

    private static final Pattern ENV_REFERENCE = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)}");

    public ConnectorDefinition {
        Objects.requireNonNull(name, "name");
        config = Map.copyOf(config);
    }

    /** The environment variables its {@code ${env:NAME}} references name, in the order they appear. */
    public Set<String> variables() {
        Set<String> names = new LinkedHashSet<>();
        config.values().forEach(value -> {
            Matcher m = ENV_REFERENCE.matcher(value);
            while (m.find()) {
                names.add(m.group(1));
            }
        });
        return names;
    }

    /** The definition this module ships. */
    public static ConnectorDefinition outbox() {
        try (InputStream in = ConnectorDefinition.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("Connector definition not on the classpath: " + RESOURCE);
            }
            return parse(Json.mapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + RESOURCE, e);
        }
    }

    static ConnectorDefinition parse(JsonNode json) {
        JsonNode config = json.path("config");
        if (!json.path("name").isTextual() || !config.isObject()) {
            throw new IllegalArgumentException("A connector definition has a \"name\" and a \"config\" object");
        }
        Map<String, String> values = new LinkedHashMap<>();
        config.fields()
                .forEachRemaining(e -> values.put(e.getKey(), e.getValue().asText()));
        return new ConnectorDefinition(json.get("name").asText(), values);
    }

    /**
     * The configuration with every {@code ${env:NAME}} replaced: from {@code variables} first,
     * then the process environment.
     *
     * @throws IllegalArgumentException naming the first variable that has no value
     */
    public Map<String, String> resolve(Map<String, String> variables) {
        Function<String, String> lookup =
                name -> variables.containsKey(name) ? variables.get(name) : System.getenv(name);
        Map<String, String> resolved = new LinkedHashMap<>();
        config.forEach((key, value) -> {
            Matcher m = ENV_REFERENCE.matcher(value);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String replacement = lookup.apply(m.group(1));
                if (replacement == null) {
                    throw new IllegalArgumentException("Connector setting '" + key + "' needs ${env:" + m.group(1)
                            + "}, which is neither given to the relay nor set in the environment");
                }
                m.appendReplacement(out, Matcher.quoteReplacement(replacement));
            }
            m.appendTail(out);
            resolved.put(key, out.toString());
        });
        return resolved;
    }
}
