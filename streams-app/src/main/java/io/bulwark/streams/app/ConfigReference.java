package io.bulwark.streams.app;

import java.util.Comparator;
import java.util.Locale;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.ConfigKey;

/** Renders {@link AppConfig#DEFINITION} as the Markdown table the README embeds. */
public final class ConfigReference {

    private ConfigReference() {}

    public static String markdown() {
        StringBuilder out = new StringBuilder();
        out.append("| key | environment variable | type | default | valid values | description |\n");
        out.append("|---|---|---|---|---|---|\n");
        AppConfig.DEFINITION.configKeys().values().stream()
                .sorted(Comparator.comparing((ConfigKey k) -> k.importance).thenComparing(k -> k.name))
                .forEach(key -> out.append("| `")
                        .append(key.name)
                        .append("` | `")
                        .append(ConfigLoader.variable(key.name))
                        .append("` | ")
                        .append(key.type.name().toLowerCase(Locale.ROOT))
                        .append(" | ")
                        .append(defaultOf(key))
                        .append(" | ")
                        .append(key.validator == null ? "" : cell(key.validator.toString()))
                        .append(" | ")
                        .append(cell(key.documentation))
                        .append(" |\n"));
        return out.toString();
    }

    private static String defaultOf(ConfigKey key) {
        if (!key.hasDefault()) {
            return "(required)";
        }
        return "`" + ConfigDef.convertToString(key.defaultValue, key.type) + "`";
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
