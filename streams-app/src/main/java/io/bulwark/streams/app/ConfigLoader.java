package io.bulwark.streams.app;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;

/**
 * Builds an {@link AppConfig} from three sources, later ones winning:
 *
 * <ol>
 *   <li>a properties file ({@code --config FILE}),</li>
 *   <li>environment variables {@code BULWARK_STREAMS_<KEY>}, the key upper-cased with dots as
 *       underscores ({@code BULWARK_STREAMS_HTTP_PORT} sets {@code http.port},
 *       {@code BULWARK_STREAMS_KAFKA_MAX_POLL_RECORDS} sets {@code kafka.max.poll.records}),</li>
 *   <li>command-line flags ({@code --set key=value}).</li>
 * </ol>
 *
 * <p>An unknown key from any source fails start-up with a message naming the key and where it
 * came from, so a typo never silently falls back to a default. Each component reads only its own
 * prefix ({@code BULWARK_STREAMS_}, {@code BULWARK_ORDERS_}, {@code BULWARK_RELAY_}, {@code BULWARK_DEV_}),
 * so other components' variables in the same environment are neither read nor refused here — except a
 * {@code BULWARK_<KEY>} naming one of this app's keys without the prefix (the spelling before the
 * prefixes): that fails start-up with the new name, rather than being silently ignored.
 */
public final class ConfigLoader {

    public static final String ENV_PREFIX = "BULWARK_STREAMS_";

    private static final String BULWARK = "BULWARK_";

    private ConfigLoader() {}

    /** Loads and validates; throws {@link ConfigException} naming the key, the value and the rule. */
    public static AppConfig load(Path file, Map<String, String> environment, Map<String, String> flags) {
        Map<String, Object> values = new LinkedHashMap<>();
        if (file != null) {
            putAll(values, readFile(file), "file " + file);
        }
        putAll(values, fromEnvironment(environment), "environment");
        putAll(values, flags, "command line");
        return new AppConfig(values);
    }

    /**
     * The keys {@code BULWARK_STREAMS_*} variables set, as config keys. A {@code BULWARK_<KEY>} variable
     * that names one of this app's keys without the prefix is refused, naming the variable to set instead.
     */
    static Map<String, String> fromEnvironment(Map<String, String> environment) {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> unprefixed = new ArrayList<>();
        environment.forEach((name, value) -> {
            if (name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length()) {
                values.put(key(name.substring(ENV_PREFIX.length())), value);
            } else if (name.startsWith(BULWARK) && isOwnKey(key(name.substring(BULWARK.length())))) {
                unprefixed.add(name);
            }
        });
        if (!unprefixed.isEmpty()) {
            throw new ConfigException("Not read: "
                    + String.join(", ", unprefixed.stream().sorted().toList())
                    + " (streams-app keys without the " + ENV_PREFIX + " prefix; each component reads only its own "
                    + "BULWARK_<COMPONENT>_ variables). Rename to "
                    + String.join(
                            ", ",
                            unprefixed.stream()
                                    .sorted()
                                    .map(ConfigLoader::prefixed)
                                    .toList()) + ".");
        }
        return values;
    }

    /** The environment variable that sets {@code key}. */
    public static String variable(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    private static String prefixed(String unprefixedName) {
        return ENV_PREFIX + unprefixedName.substring(BULWARK.length());
    }

    private static boolean isOwnKey(String key) {
        return AppConfig.DEFINITION.names().contains(key) || key.startsWith(AppConfig.KAFKA_PREFIX);
    }

    private static String key(String variableSuffix) {
        return variableSuffix.toLowerCase(Locale.ROOT).replace('_', '.');
    }

    private static void putAll(Map<String, Object> values, Map<String, String> source, String origin) {
        List<String> unknown = new ArrayList<>();
        source.forEach((key, value) -> {
            if (key.startsWith(AppConfig.KAFKA_PREFIX)) {
                String kafkaKey = key.substring(AppConfig.KAFKA_PREFIX.length());
                if (AppConfig.DEFINITION.names().contains(kafkaKey)) {
                    throw new ConfigException("Configuration key '" + key + "' (from " + origin + ") shadows '"
                            + kafkaKey + "', which Bulwark defines and validates: set '" + kafkaKey + "' instead");
                }
            } else if (!AppConfig.DEFINITION.names().contains(key)) {
                unknown.add(key);
            }
            values.put(key, value.trim());
        });
        if (!unknown.isEmpty()) {
            throw new ConfigException("Unknown configuration key" + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", unknown.stream().map(k -> "'" + k + "'").toList()) + " (from " + origin
                    + "). Known keys: "
                    + String.join(
                            ", ", AppConfig.DEFINITION.names().stream().sorted().toList())
                    + "; Kafka Streams and client settings take the prefix '" + AppConfig.KAFKA_PREFIX + "'.");
        }
    }

    private static Map<String, String> readFile(Path file) {
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(reader);
        } catch (NoSuchFileException e) {
            throw new ConfigException("Configuration file " + file + " does not exist");
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("Configuration file " + file + " cannot be read: " + e.getMessage());
        }
        Map<String, String> values = new LinkedHashMap<>();
        props.stringPropertyNames().forEach(name -> values.put(name, props.getProperty(name)));
        return values;
    }
}
