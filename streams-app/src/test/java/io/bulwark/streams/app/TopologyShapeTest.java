package io.bulwark.streams.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The topology's shape — node names, sub-topology numbering, stores, internal topics — is part of a running
 * app's state: task ids name the state directories, and internal topics and changelogs carry names derived
 * from it. A change that renumbers it needs an upgrade note (README, "Upgrading a running app"). This test
 * keeps the description in {@code src/test/resources/topology.txt}; after a deliberate change, regenerate
 * it with {@code -Dbulwark.topology.update=true} and say in the README what a running app must do.
 */
class TopologyShapeTest {

    private static final Path EXPECTED = Path.of("src", "test", "resources", "topology.txt");

    @Test
    void shouldKeepTheTopologyShapeThatRunningAppsHaveStateFor() throws Exception {
        AppConfig config = ConfigLoader.load(null, Map.of(), Map.of(AppConfig.BOOTSTRAP_SERVERS, "127.0.0.1:9092"));
        String actual = normalized(BulwarkTopology.create(config).describe().toString());
        if (Boolean.getBoolean("bulwark.topology.update")) {
            Files.writeString(EXPECTED, actual);
        }
        assertThat(actual).as("topology shape changed; see this test's Javadoc").isEqualTo(Files.readString(EXPECTED));
    }

    /** Lambda class names and identity hashes differ per run and JDK. */
    private static String normalized(String description) {
        return description.replaceAll("\\$\\$Lambda[^\\s)]*", "\\$\\$Lambda");
    }
}
