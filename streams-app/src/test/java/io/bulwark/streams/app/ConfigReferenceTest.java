package io.bulwark.streams.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's configuration reference is generated from {@link AppConfig#DEFINITION}; keep them equal. */
class ConfigReferenceTest {

    private static final String START = "<!-- config-reference:start -->\n";
    private static final String END = "<!-- config-reference:end -->";

    @Test
    void shouldMatchReadmeConfigurationReference() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int start = readme.indexOf(START);
        int end = readme.indexOf(END);
        assertThat(start).as("README.md has a %s marker", START.strip()).isNotNegative();
        assertThat(end).as("README.md has a %s marker", END).isGreaterThan(start);
        assertThat(readme.substring(start + START.length(), end))
                .as("README configuration reference is stale: replace it with the output of "
                        + "`java -cp ... io.bulwark.streams.app.StreamsMain --config-reference`")
                .isEqualTo(ConfigReference.markdown());
    }
}
