package io.bulwark.topology.errors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.schemas.DeadLetterHeaders;
import io.bulwark.schemas.EnvelopeHeaders;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.app.ConfigLoader;
import io.bulwark.topology.support.TestTopology;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The error policy is configuration: dead-letter and continue (default), or fail. */
class ErrorPolicyTest {

    @TempDir
    Path stateDir;

    @Test
    void shouldDeadLetterRecordWhoseProcessingThrowsWithCauseAndOriginAndContinue() {
        try (TopologyTestDriver driver = failingOnBoom(Map.of())) {
            TestInputTopic<String, String> in =
                    driver.createInputTopic("in", new StringSerializer(), new StringSerializer());
            TestOutputTopic<String, String> out =
                    driver.createOutputTopic("out", new StringDeserializer(), new StringDeserializer());
            TestOutputTopic<String, String> dlq = driver.createOutputTopic(
                    Topics.DEAD_LETTERS.name(), new StringDeserializer(), new StringDeserializer());
            in.pipeInput("k1", "boom");
            in.pipeInput("k2", "fine");

            assertThat(out.readValuesToList()).containsExactly("FINE");
            TestRecord<String, String> letter = dlq.readRecord();
            assertThat(letter.key()).isEqualTo("k1");
            assertThat(letter.value()).isEqualTo("boom");
            assertThat(EnvelopeHeaders.text(letter.headers(), DeadLetterHeaders.MESSAGE))
                    .contains("cannot shout boom");
            assertThat(EnvelopeHeaders.text(letter.headers(), DeadLetterHeaders.EXCEPTION))
                    .contains("IllegalStateException");
            assertThat(EnvelopeHeaders.text(letter.headers(), DeadLetterHeaders.TOPIC))
                    .isEqualTo("in");
            assertThat(EnvelopeHeaders.text(letter.headers(), DeadLetterHeaders.OFFSET))
                    .isEqualTo("0");
            assertThat(EnvelopeHeaders.text(letter.headers(), DeadLetterHeaders.STACKTRACE))
                    .isNotBlank();
        }
    }

    @Test
    void shouldStopOnProcessingErrorWhenConfiguredToFail() {
        try (TopologyTestDriver driver = failingOnBoom(Map.of(AppConfig.ERRORS_PROCESSING, "fail"))) {
            TestInputTopic<String, String> in =
                    driver.createInputTopic("in", new StringSerializer(), new StringSerializer());
            assertThatThrownBy(() -> in.pipeInput("k1", "boom"))
                    .isInstanceOf(StreamsException.class)
                    .hasStackTraceContaining("cannot shout boom");
        }
    }

    @Test
    void shouldStopOnUnreadableRecordWhenConfiguredToFail() {
        try (TestTopology topology = new TestTopology(stateDir, Map.of(AppConfig.ERRORS_DESERIALIZATION, "fail"))) {
            TestInputTopic<String, String> raw = topology.driver.createInputTopic(
                    Topics.ORDER_EVENTS.name(), new StringSerializer(), new StringSerializer());
            assertThatThrownBy(() -> raw.pipeInput("o-1", "{not json"))
                    .isInstanceOf(StreamsException.class)
                    .hasStackTraceContaining("not JSON");
        }
    }

    /** A one-step topology that upper-cases values and throws on "boom", configured like the app. */
    private TopologyTestDriver failingOnBoom(Map<String, String> settings) {
        Map<String, String> flags = new HashMap<>(settings);
        flags.put(AppConfig.BOOTSTRAP_SERVERS, "unused:9092");
        flags.put(AppConfig.STATE_DIR, stateDir.toString());
        AppConfig config = ConfigLoader.load(null, Map.of(), flags);
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(config.streamsProperties())));
        builder.stream("in", Consumed.with(Serdes.String(), Serdes.String()))
                .mapValues(value -> {
                    if (value.equals("boom")) {
                        throw new IllegalStateException("cannot shout " + value);
                    }
                    return value.toUpperCase(Locale.ROOT);
                })
                .to("out", Produced.with(Serdes.String(), Serdes.String()));
        return new TopologyTestDriver(builder.build(), config.streamsProperties());
    }
}
