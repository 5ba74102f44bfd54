package io.bulwark.streams.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailExceptionHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    private static final Map<String, String> BOOTSTRAP = Map.of("bootstrap.servers", "127.0.0.1:9092");

    @Test
    void shouldDefaultToExactlyOnceV2AndDeadLetterTopic() {
        Properties streams = ConfigLoader.load(null, Map.of(), BOOTSTRAP).streamsProperties();
        assertThat(streams.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo("exactly_once_v2");
        assertThat(streams.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG))
                .isEqualTo("bulwark.dead-letters");
        assertThat(streams.get(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG))
                .isEqualTo(LogAndContinueExceptionHandler.class);
        assertThat(streams.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG))
                .isEqualTo(BoundedMemoryRocksDbConfig.class);
    }

    @Test
    void shouldFailOnMissingBootstrapServersNamingTheKey() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("bootstrap.servers")
                .hasMessageContaining("no default value");
    }

    @Test
    void shouldFailOnBadNumberNamingKeyValueAndRule() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), with("http.port", "eighty")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.port")
                .hasMessageContaining("eighty")
                .hasMessageContaining("INT");
    }

    @Test
    void shouldFailOnOutOfRangeValueNamingTheRange() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), with("http.port", "70000")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.port")
                .hasMessageContaining("70000")
                .hasMessageContaining("must be no more than 65535");
    }

    @Test
    void shouldFailOnUnknownKeyNamingKeyAndSource(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("app.properties");
        Files.writeString(file, "bootstrap.servers=127.0.0.1:9092\nhttp.prot=8081\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("Unknown configuration key 'http.prot'")
                .hasMessageContaining("file " + file)
                .hasMessageContaining("http.port");
    }

    @Test
    void shouldFailOnUnknownEnvironmentVariable() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("BULWARK_STREAMS_HTTP_PROT", "1"), BOOTSTRAP))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'http.prot'")
                .hasMessageContaining("environment");
    }

    @Test
    void shouldFailOnUnknownProcessingGuarantee() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), with("processing.guarantee", "exactly_once")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("processing.guarantee")
                .hasMessageContaining("exactly_once_v2");
    }

    @Test
    void shouldFailWhenWriteBuffersExceedBlockCache() {
        Map<String, String> flags = Map.of(
                "bootstrap.servers",
                "h:1",
                "rocksdb.block.cache.bytes",
                "8388608",
                "rocksdb.write.buffer.bytes",
                "16777216");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), flags))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("rocksdb.write.buffer.bytes")
                .hasMessageContaining("must not exceed rocksdb.block.cache.bytes");
    }

    @Test
    void shouldLetFlagsOverrideEnvironmentOverrideFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("app.properties");
        Files.writeString(
                file, "bootstrap.servers=file:1\nhttp.port=1001\napplication.id=from-file\nnum.stream.threads=3\n");
        AppConfig config = ConfigLoader.load(
                file,
                Map.of(
                        "BULWARK_STREAMS_HTTP_PORT",
                        "1002",
                        "BULWARK_STREAMS_APPLICATION_ID",
                        "from-env",
                        "PATH",
                        "/bin"),
                Map.of("http.port", "1003"));
        assertThat(config.httpPort()).isEqualTo(1003);
        assertThat(config.getString(AppConfig.APPLICATION_ID)).isEqualTo("from-env");
        assertThat(config.getInt(AppConfig.NUM_STREAM_THREADS)).isEqualTo(3);
        assertThat(config.getList(AppConfig.BOOTSTRAP_SERVERS)).containsExactly("file:1");
    }

    @Test
    void shouldPassPrefixedKafkaSettingsThrough() {
        AppConfig config = ConfigLoader.load(
                null, Map.of("BULWARK_STREAMS_KAFKA_MAX_POLL_RECORDS", "42"), with("errors.deserialization", "fail"));
        Properties streams = config.streamsProperties();
        assertThat(streams.get("max.poll.records")).isEqualTo("42");
        assertThat(streams.get(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG))
                .isEqualTo(LogAndFailExceptionHandler.class);
    }

    @Test
    void shouldNotIdleTasksWaitingForLaggingInputsUnlessTheOperatorAsks() {
        assertThat(ConfigLoader.load(null, Map.of(), BOOTSTRAP)
                        .streamsProperties()
                        .get(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG))
                .isEqualTo(StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
        assertThat(ConfigLoader.load(null, Map.of("BULWARK_STREAMS_KAFKA_MAX_TASK_IDLE_MS", "0"), BOOTSTRAP)
                        .streamsProperties()
                        .get(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG))
                .isEqualTo("0");
    }

    @Test
    void shouldDetectAKilledInstanceWithinTenSecondsUnlessTheOperatorSaysOtherwise() {
        assertThat(ConfigLoader.load(null, Map.of(), BOOTSTRAP)
                        .streamsProperties()
                        .get("consumer.session.timeout.ms"))
                .isEqualTo(10_000);
        assertThat(ConfigLoader.load(
                                null, Map.of("BULWARK_STREAMS_KAFKA_CONSUMER_SESSION_TIMEOUT_MS", "30000"), BOOTSTRAP)
                        .streamsProperties()
                        .get("consumer.session.timeout.ms"))
                .isEqualTo("30000");
    }

    @Test
    void shouldRejectPassThroughThatShadowsDefinedKey() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), with("kafka.processing.guarantee", "at_least_once")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("set 'processing.guarantee' instead");
    }

    @Test
    void shouldReportMissingConfigFile(@TempDir Path dir) {
        Path missing = dir.resolve("nope.properties");
        assertThatThrownBy(() -> ConfigLoader.load(missing, Map.of(), BOOTSTRAP))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("nope.properties does not exist");
    }

    @Test
    void shouldRefuseToServeQueriesBeyondLoopbackWithoutKeys() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), with("http.host", "0.0.0.0")))
                .hasMessageContaining("query.auth.keys")
                .hasMessageContaining("loopback");
        assertThat(ConfigLoader.load(
                                null,
                                Map.of(),
                                Map.of(
                                        "bootstrap.servers",
                                        "127.0.0.1:9092",
                                        "http.host",
                                        "0.0.0.0",
                                        "query.auth.keys",
                                        "ops:a-long-secret"))
                        .httpHost())
                .isEqualTo("0.0.0.0");
    }

    private static Map<String, String> with(String key, String value) {
        return Map.of("bootstrap.servers", "127.0.0.1:9092", key, value);
    }

    @Test
    void shouldLeaveOtherComponentsVariablesAlone() {
        Map<String, String> env = Map.of(
                "BULWARK_STREAMS_BOOTSTRAP_SERVERS",
                "localhost:9092",
                "BULWARK_ORDERS_DB_URL",
                "jdbc:postgresql://x/y",
                "BULWARK_DEV_API_KEY",
                "dev-key-1",
                "BULWARK_RELAY_DB_HOST",
                "postgres",
                "BULWARK_RELAY_CAPTURE_USER",
                "capture",
                "BULWARK_DEV_JAVA_OPTS",
                "-XX:StartFlightRecording",
                "BULWARK_JAVA_OPTS",
                "-Xmx1g",
                "BULWARK_ORDERZ",
                "x"); // not under the streams app's prefix, and not one of its keys
        assertThat(ConfigLoader.load(null, env, Map.of()).getList(AppConfig.BOOTSTRAP_SERVERS))
                .containsExactly("localhost:9092");
        assertThatThrownBy(() -> ConfigLoader.load(
                        null,
                        Map.of("BULWARK_STREAMS_BOOTSTRAP_SERVERS", "localhost:9092", "BULWARK_STREAMS_ORDERZ", "x"),
                        Map.of()))
                .hasMessageContaining("orderz");
    }

    @Test
    void shouldRefuseAStreamsKeyWithoutTheStreamsPrefixNamingTheVariableToSetInstead() {
        assertThatThrownBy(() -> ConfigLoader.load(
                        null, Map.of("BULWARK_HTTP_PORT", "8080", "BULWARK_KAFKA_MAX_POLL_RECORDS", "10"), BOOTSTRAP))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("BULWARK_HTTP_PORT")
                .hasMessageContaining("BULWARK_STREAMS_HTTP_PORT")
                .hasMessageContaining("BULWARK_STREAMS_KAFKA_MAX_POLL_RECORDS");
    }
}
