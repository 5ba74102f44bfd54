package io.bulwark.connectors.relay.internal;

import java.util.HashMap;
import java.util.Map;

/** Reading plug-ins (converters, predicates) out of a connector configuration, as a Connect worker does. */
public final class ConnectorSettings {

    private ConnectorSettings() {}

    /**
     * A new instance of the class the setting {@code key} names.
     *
     * @throws IllegalArgumentException naming the setting when it is missing or its class cannot be loaded as a
     *     {@code type}
     */
    public static <T> T instantiate(Map<String, String> config, String key, Class<T> type) {
        String className = config.get(key);
        if (className == null) {
            throw new IllegalArgumentException("Connector setting " + key + " is required");
        }
        try {
            return type.cast(Class.forName(className).getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalArgumentException("Connector setting " + key + " = " + className + " cannot be loaded", e);
        }
    }

    /** The settings under {@code prefix}, with the prefix cut off. */
    public static Map<String, Object> withPrefix(Map<String, String> config, String prefix) {
        Map<String, Object> values = new HashMap<>();
        config.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                values.put(k.substring(prefix.length()), v);
            }
        });
        return values;
    }
}
