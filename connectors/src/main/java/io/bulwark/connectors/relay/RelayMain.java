package io.bulwark.connectors.relay;

import io.bulwark.connectors.outbox.OutboxTable;
import io.bulwark.schemas.EventSchemas;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs an outbox relay on its own, for users without Kafka Connect. The capture user's password
 * comes from the environment variable {@code BULWARK_RELAY_CAPTURE_PASSWORD}, never from the command line.
 * The database flags default to the same {@code BULWARK_RELAY_*} variables the Kafka Connect deployment's
 * {@code outbox-connector.json} reads, so one environment serves both; any other {@code BULWARK_RELAY_*}
 * variable is a typo and fails start-up (exit 2) naming it.
 */
@Command(
        name = "bulwark-outbox-relay",
        mixinStandardHelpOptions = true,
        version = "Bulwark outbox relay 0.1.0",
        description = "Publishes the Postgres outbox to Kafka: cdc (Debezium, default) or polling.")
public final class RelayMain implements Callable<Integer> {

    /** Printed when the relay runs; tools and tests wait for it. */
    public static final String STARTED_LINE = "Bulwark outbox relay started";

    /** Exit code of a start refused for its configuration, as the streams app and order-api use. */
    public static final int EXIT_BAD_CONFIGURATION = 2;

    enum Mode {
        cdc,
        polling
    }

    @Option(names = "--mode", description = "cdc or polling (default: ${DEFAULT-VALUE}).")
    Mode mode = Mode.cdc;

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka brokers, host:port,...")
    String bootstrapServers;

    /**
     * The relay's environment variables: those the connector definition references ({@code BULWARK_RELAY_DB_*},
     * {@code BULWARK_RELAY_CAPTURE_*}), and nothing else under {@link #ENV_PREFIX}.
     */
    static final String ENV_PREFIX = "BULWARK_RELAY_";

    @Option(
            names = "--db-host",
            defaultValue = "${env:BULWARK_RELAY_DB_HOST:-localhost}",
            description = "Default: BULWARK_RELAY_DB_HOST, else localhost.")
    String dbHost;

    @Option(
            names = "--db-port",
            defaultValue = "${env:BULWARK_RELAY_DB_PORT:-5432}",
            description = "Default: BULWARK_RELAY_DB_PORT, else 5432.")
    int dbPort;

    @Option(
            names = "--db-name",
            defaultValue = "${env:BULWARK_RELAY_DB_NAME:-postgres}",
            description = "Default: BULWARK_RELAY_DB_NAME, else postgres.")
    String dbName;

    @Option(
            names = "--db-user",
            defaultValue = "${env:BULWARK_RELAY_CAPTURE_USER}",
            description = "The capture user (see connectors/README.md). Default: BULWARK_RELAY_CAPTURE_USER.")
    String dbUser;

    @Option(
            names = "--schema",
            defaultValue = "${env:BULWARK_RELAY_DB_SCHEMA:-bulwark}",
            description = "Schema of the outbox table. Default: BULWARK_RELAY_DB_SCHEMA, else bulwark.")
    String schema;

    @Option(names = "--offsets-topic", description = "cdc: topic of the source offsets (default: the registry's).")
    String offsetsTopic;

    @Option(names = "--workers", defaultValue = "2", description = "polling: concurrent workers.")
    int workers;

    @Option(
            names = {"-s", "--set"},
            paramLabel = "KEY=VALUE",
            description = "cdc: connector setting override.")
    Map<String, String> overrides = new LinkedHashMap<>();

    public static void main(String[] args) {
        System.exit(new CommandLine(new RelayMain()).execute(args));
    }

    /** The {@code BULWARK_RELAY_*} variables in {@code environment} that the relay does not know. */
    static List<String> unknownVariables(Map<String, String> environment) {
        Set<String> known = ConnectorDefinition.outbox().variables();
        return environment.keySet().stream()
                .filter(name -> name.startsWith(ENV_PREFIX))
                .filter(name -> !known.contains(name))
                .sorted()
                .toList();
    }

    @Override
    public Integer call() throws InterruptedException {
        List<String> unknown = unknownVariables(System.getenv());
        if (!unknown.isEmpty() || dbUser == null || dbUser.isBlank()) {
            System.err.println(
                    unknown.isEmpty()
                            ? "The capture user is missing: give --db-user or set BULWARK_RELAY_CAPTURE_USER"
                            : "Unknown relay variable(s) " + String.join(", ", unknown) + "; known: "
                                    + String.join(
                                            ", ", ConnectorDefinition.outbox().variables()));
            return EXIT_BAD_CONFIGURATION;
        }
        String password = System.getenv().getOrDefault("BULWARK_RELAY_CAPTURE_PASSWORD", "");
        Database database = new Database(dbHost, dbPort, dbName, dbUser, password);
        OutboxTable table = new OutboxTable(schema);
        EventSchemas schemas = EventSchemas.load();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AutoCloseable relay;
        if (mode == Mode.cdc) {
            OutboxRelay.Settings settings =
                    OutboxRelay.Settings.of(bootstrapServers, database, table).withOverrides(overrides);
            if (offsetsTopic != null) {
                settings = settings.withOffsetsTopic(offsetsTopic);
            }
            relay = OutboxRelay.start(settings, schemas, registry);
        } else {
            relay = PollingOutboxRelay.start(
                    PollingOutboxRelay.Settings.of(bootstrapServers, database, table)
                            .withWorkers(workers),
                    schemas,
                    registry);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                relay.close();
                            } catch (Exception e) {
                                e.printStackTrace();
                            } finally {
                                stopped.countDown();
                            }
                        },
                        "bulwark-relay-shutdown"));
        System.out.println(STARTED_LINE + " (" + mode + ", " + database + ", schema " + schema + ")");
        System.out.flush();
        stopped.await();
        return 0;
    }
}
