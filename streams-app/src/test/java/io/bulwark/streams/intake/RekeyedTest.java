package io.bulwark.streams.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Properties;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

class RekeyedTest {

    private static final String APP = "rekeyed-test";

    @Test
    void shouldReKeyAndSendNoHeadersThroughTheRepartitionWhileTheOtherBranchKeepsThem() {
        StreamsBuilder builder = new StreamsBuilder();
        KStream<String, String> in = builder.stream("in", Consumed.with(Serdes.String(), Serdes.String()));
        in.to("untouched", Produced.with(Serdes.String(), Serdes.String()));
        Rekeyed.by(in, (k, v) -> k + "/" + v, Named.as("by-both"))
                .repartition(Repartitioned.<String, String>as("by-both")
                        .withKeySerde(Serdes.String())
                        .withValueSerde(Serdes.String()))
                .to("out", Produced.with(Serdes.String(), Serdes.String()));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, APP);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props)) {
            TestInputTopic<String, String> input = driver.createInputTopic(
                    "in", Serdes.String().serializer(), Serdes.String().serializer());
            Headers headers = new RecordHeaders()
                    .add("eventType", "OrderPlaced".getBytes(StandardCharsets.UTF_8))
                    .add("traceparent", "00-abc-def-01".getBytes(StandardCharsets.UTF_8));
            input.pipeInput(new TestRecord<>("k", "v", headers, Instant.ofEpochMilli(42)));

            TestRecord<String, String> repartitioned =
                    output(driver, APP + "-by-both-repartition").readRecord();
            TestRecord<String, String> out = output(driver, "out").readRecord();
            TestRecord<String, String> untouched = output(driver, "untouched").readRecord();

            assertThat(repartitioned.headers().toArray()).isEmpty();
            assertThat(out.key()).isEqualTo("k/v");
            assertThat(out.value()).isEqualTo("v");
            assertThat(out.timestamp()).isEqualTo(42L);
            assertThat(out.headers().toArray()).isEmpty();
            assertThat(untouched.key()).isEqualTo("k");
            assertThat(untouched.headers().toArray())
                    .extracting(h -> h.key())
                    .containsExactly("eventType", "traceparent");
        }
    }

    private static TestOutputTopic<String, String> output(TopologyTestDriver driver, String topic) {
        return driver.createOutputTopic(
                topic, Serdes.String().deserializer(), Serdes.String().deserializer());
    }
}
