package io.bulwark.benchmarks;

import java.util.HashMap;
import java.util.Map;

/** {@code key=value} settings a harness passes on to the component it measures (e.g. {@code lock.fencing=redis}). */
final class KeyValueArgs {

    private KeyValueArgs() {}

    /** {@code defaults}, then each {@code key=value} of {@code args} from index {@code from} on, later ones winning. */
    static Map<String, String> withOverrides(Map<String, String> defaults, String[] args, int from) {
        Map<String, String> settings = new HashMap<>(defaults);
        for (int i = from; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("Expected key=value, got '" + args[i] + "'");
            }
            settings.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        return settings;
    }
}
