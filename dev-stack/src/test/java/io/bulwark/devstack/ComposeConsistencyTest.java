package io.bulwark.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.connectors.DatabaseMigrations;
import io.bulwark.connectors.relay.ConnectorDefinition;
import io.bulwark.infra.containers.ContainerKafka;
import io.bulwark.infra.containers.ContainerPostgres;
import io.bulwark.infra.containers.ContainerRedis;
import io.bulwark.orders.OrderApiConfig;
import io.bulwark.schemas.EventType;
import io.bulwark.schemas.EventTypes;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.TopicSpec;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.app.ConfigLoader;
import java.io.InputStream;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** docker-compose.yml must describe the same system as the code: images, ports and configuration keys. */
class ComposeConsistencyTest {

    private static Map<String, Map<String, Object>> services;
    private static Properties versions;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void parse() throws Exception {
        try (Reader reader = Files.newBufferedReader(Path.of("..", "docker-compose.yml"))) {
            Map<String, Object> compose = new Yaml().load(reader);
            services = (Map<String, Map<String, Object>>) compose.get("services");
        }
        versions = new Properties();
        try (InputStream in = ComposeConsistencyTest.class.getResourceAsStream("/bulwark-versions.properties")) {
            versions.load(in);
        }
    }

    @Test
    void shouldNameEveryServiceOfTheSystem() {
        assertThat(services).containsKeys("order-api", "gateway");
        assertThat(services)
                .containsKeys("kafka", "postgres", "connect", "migrate", "connector-init", "redis", "streams-app");
    }

    @Test
    void shouldRunTheKafkaAndDebeziumVersionsWeBuildAgainst() {
        assertThat(image("kafka"))
                .isEqualTo("apache/kafka:" + versions.getProperty("kafka.version"))
                .isEqualTo(ContainerKafka.IMAGE_NAME);
        assertThat(image("connect")).endsWith(":" + versions.getProperty("debezium.version"));
        assertThat(image("postgres")).isEqualTo(ContainerPostgres.IMAGE_NAME);
        assertThat(image("redis")).isEqualTo(ContainerRedis.IMAGE_NAME);
    }

    @Test
    void shouldRunPostgresWithLogicalWal() {
        assertThat(String.join(" ", list("postgres", "command"))).contains("wal_level=logical");
    }

    @Test
    void shouldConfigureStreamsAppOnlyWithKnownValidKeys() throws Exception {
        Map<String, String> env = withSecretsFromExample(environment("streams-app"));
        // Loading validates every BULWARK_* variable: unknown keys and bad values fail here.
        AppConfig config = ConfigLoader.load(null, env, Map.of());

        assertThat(config.getList(AppConfig.BOOTSTRAP_SERVERS))
                .allSatisfy(server -> assertThat(environment("kafka").get("KAFKA_ADVERTISED_LISTENERS"))
                        .contains("//" + server));
        assertThat(list("streams-app", "ports")).contains(config.httpPort() + ":" + config.httpPort());
        assertThat(config.httpHost()).isEqualTo("0.0.0.0");
    }

    @Test
    void shouldPublishTheSamePortsAsTheDevStackOnlyTheApisBeyondThisMachine() {
        DevStack defaults = new DevStack();
        String loopback = "127.0.0.1:";
        assertThat(list("kafka", "ports")).containsExactly(loopback + defaults.kafkaPort + ":" + defaults.kafkaPort);
        assertThat(list("postgres", "ports"))
                .containsExactly(loopback + defaults.postgresPort + ":" + defaults.postgresPort);
        assertThat(list("redis", "ports")).containsExactly(loopback + defaults.redisPort + ":" + defaults.redisPort);
        assertThat(list("gateway", "ports"))
                .containsExactly(loopback + defaults.gatewayPort + ":" + defaults.gatewayPort);
        assertThat(list("connect", "ports")).allMatch(port -> port.startsWith(loopback));
        // The two APIs listen beyond the machine, and both require credentials.
        assertThat(list("streams-app", "ports")).contains(defaults.httpPort + ":" + defaults.httpPort);
        assertThat(list("order-api", "ports")).contains(defaults.ordersPort + ":" + defaults.ordersPort);
        assertThat(String.join(" ", list("redis", "command"))).contains("--requirepass ${REDIS_PASSWORD:?");
    }

    @Test
    void shouldGiveConnectEveryVariableTheConnectorDefinitionReferences() {
        Map<String, String> env = environment("connect");
        Set<String> referenced = new TreeSet<>();
        Matcher m = Pattern.compile("\\$\\{env:([A-Z_]+)}")
                .matcher(ConnectorDefinition.outbox().config().toString());
        while (m.find()) {
            referenced.add(m.group(1));
        }
        assertThat(referenced).isNotEmpty();
        assertThat(env).containsKeys(referenced.toArray(String[]::new));
        assertThat(env)
                .containsEntry("CONNECT_CONFIG_PROVIDERS", "env")
                .containsEntry("BULWARK_RELAY_DB_SCHEMA", DevStack.DB_SCHEMA);
    }

    @Test
    void shouldMigrateAndDeployConnectorFromTheFilesInThisRepository() {
        String migrations = list("migrate", "volumes").get(0).split(":")[0];
        String location = DatabaseMigrations.LOCATION.substring("classpath:".length());
        assertThat(Path.of("..", migrations)).isDirectory();
        assertThat(Path.of(migrations).normalize()).isEqualTo(Path.of("connectors/src/main/resources", location));
        assertThat(list("migrate", "command")).contains("-schemas=" + DevStack.DB_SCHEMA);
        String connectorFile = list("connector-init", "volumes").get(0).split(":")[0];
        assertThat(Path.of("..", connectorFile)).isRegularFile();
        assertThat(connectorFile).endsWith("connectors/outbox-connector.json");
    }

    @Test
    void shouldKeepCredentialsOutOfTheComposeFile() {
        assertThat(environment("postgres").get("POSTGRES_PASSWORD")).startsWith("${POSTGRES_PASSWORD");
        assertThat(environment("connect").get("BULWARK_RELAY_CAPTURE_PASSWORD")).startsWith("${POSTGRES_PASSWORD");
        assertThat(environment("order-api").get("BULWARK_ORDERS_DB_PASSWORD")).startsWith("${POSTGRES_PASSWORD");
        assertThat(environment("order-api").get("BULWARK_ORDERS_API_CLIENTS"))
                .startsWith("${BULWARK_ORDERS_API_CLIENTS");
        assertThat(environment("order-api").get("BULWARK_ORDERS_REDIS_PASSWORD"))
                .startsWith("${REDIS_PASSWORD");
        assertThat(environment("streams-app").get("BULWARK_STREAMS_QUERY_AUTH_KEYS"))
                .startsWith("${BULWARK_STREAMS_QUERY_AUTH_KEYS");
        assertThat(environment("streams-app").get("BULWARK_STREAMS_QUERY_HOP_SECRET"))
                .startsWith("${BULWARK_STREAMS_QUERY_HOP_SECRET");
    }

    /** Replaces each {@code ${NAME:?...}} value by .env.example's NAME, which must exist. */
    private static Map<String, String> withSecretsFromExample(Map<String, String> environment) throws Exception {
        Map<String, String> env = new HashMap<>(environment);
        Properties example = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("..", ".env.example"))) {
            example.load(reader);
        }
        env.replaceAll((name, value) -> {
            Matcher placeholder = Pattern.compile("\\$\\{([A-Z_]+):\\?.*}").matcher(value);
            if (placeholder.matches()) {
                assertThat(example)
                        .as(".env.example defines " + placeholder.group(1))
                        .containsKey(placeholder.group(1));
                return example.getProperty(placeholder.group(1));
            }
            return value;
        });
        return env;
    }

    @Test
    void shouldConfigureOrderApiOnlyWithKnownValidKeysPointingAtTheOtherServices() throws Exception {
        // Secrets come from .env; the example file must define every one the service needs.
        Map<String, String> env = withSecretsFromExample(environment("order-api"));
        assertThat(env.keySet()).allMatch(name -> name.startsWith(OrderApiConfig.ENV_PREFIX));
        OrderApiConfig config = OrderApiConfig.load(env, Map.of()); // unknown keys and bad values fail here

        assertThat(list("order-api", "ports"))
                .contains(config.getInt(OrderApiConfig.HTTP_PORT) + ":" + config.getInt(OrderApiConfig.HTTP_PORT));
        assertThat(config.getString(OrderApiConfig.DB_SCHEMA)).isEqualTo(DevStack.DB_SCHEMA);
        assertThat(environment("kafka").get("KAFKA_ADVERTISED_LISTENERS"))
                .contains("//" + config.getString(OrderApiConfig.KAFKA_BOOTSTRAP_SERVERS));
        URI gateway = URI.create(config.getString(OrderApiConfig.GATEWAY_URL));
        assertThat(services).containsKey(gateway.getHost());
        assertThat(list(gateway.getHost(), "command")).containsExactly(String.valueOf(gateway.getPort()), "0.0.0.0");
        assertThat(URI.create(config.getString(OrderApiConfig.REDIS_URI)).getHost())
                .isEqualTo("redis");
        assertThat(config.getString(OrderApiConfig.DB_URL)).contains("//postgres:5432/");
        assertThat(config.getBoolean(OrderApiConfig.PAYMENT_WORKER_ENABLED)).isTrue();
    }

    @Test
    void shouldRouteEveryEventTypeOfTheOutboxToARegisteredTopic() throws Exception {
        JsonNode connector = Json.mapper()
                .readTree(Path.of("..", "connectors", "outbox-connector.json").toFile());
        String replacement = connector
                .path("config")
                .path("transforms.outbox.route.topic.replacement")
                .asText();
        assertThat(replacement).contains("${routedByValue}");
        Set<String> registered = Topics.all().stream().map(TopicSpec::name).collect(Collectors.toSet());
        // What order-api writes to the outbox must land on a registered topic the streams app reads.
        for (EventType type : List.of(EventTypes.ORDER_PLACED, EventTypes.ORDER_CANCEL_REQUESTED)) {
            assertThat(registered)
                    .as("the relay routes %s to a registered topic", type.name())
                    .contains(replacement.replace("${routedByValue}", type.aggregateType()));
        }
        assertThat(replacement.replace("${routedByValue}", "order")).isEqualTo(Topics.ORDER_EVENTS.name());
        // Every domain topic of the registry follows the relay's naming, so any aggregate can use the outbox.
        for (TopicSpec<?, ?> domain : List.of(Topics.ORDER_EVENTS, Topics.INVENTORY_EVENTS, Topics.PAYMENT_EVENTS)) {
            assertThat(domain.name()).matches(replacement.replace(".", "\\.").replace("${routedByValue}", "[a-z]+"));
        }
    }

    private static String image(String service) {
        return (String) services.get(service).get("image");
    }

    @SuppressWarnings("unchecked")
    private static List<String> list(String service, String key) {
        return ((List<Object>) services.get(service).get(key))
                .stream().map(String::valueOf).toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> environment(String service) {
        Map<String, Object> env = (Map<String, Object>) services.get(service).get("environment");
        return env.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> String.valueOf(e.getValue())));
    }
}
