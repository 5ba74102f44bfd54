package io.bulwark.connectors.relay;

import io.bulwark.connectors.outbox.OutboxTable;
import io.bulwark.schemas.EventSchemas;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs an outbox relay on its own, for users without Kafka Connect. The capture user's password
 * comes from the environment variable {@code BULWARK_CAPTURE_PASSWORD}, never from the command line.
 */
@Command(name = "bulwark-outbox-relay", mixinStandardHelpOptions = true, version = "Bulwark outbox relay 0.1.0",
        description = "Publishes the Postgres outbox to Kafka: cdc (Debezium, default) or polling.")
public final class RelayMain implements Callable<Integer> {

    /** Printed when the relay runs; tools and tests wait for it. */
    public static final String STARTED_LINE = "Bulwark outbox relay started";

    enum Mode { cdc, polling }

    @Option(names = "--mode", description = "cdc or polling (default: ${DEFAULT-VALUE}).")
    Mode mode = Mode.cdc;

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka brokers, host:port,...")
    String bootstrapServers;

    @Option(names = "--db-host", defaultValue = "localhost")
    String dbHost;

    @Option(names = "--db-port", defaultValue = "5432")
    int dbPort;

    @Option(names = "--db-name", defaultValue = "postgres")
    String dbName;

    @Option(names = "--db-user", required = true, description = "The capture user (see connectors/README.md).")
    String dbUser;

    @Option(names = "--schema", defaultValue = "bulwark", description = "Schema of the outbox table.")
    String schema;

    @Option(names = "--offsets-topic", description = "cdc: topic of the source offsets (default: the registry's).")
    String offsetsTopic;

    @Option(names = "--workers", defaultValue = "2", description = "polling: concurrent workers.")
    int workers;

    @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE", description = "cdc: connector setting override.")
    Map<String, String> overrides = new LinkedHashMap<>();

    public static void main(String[] args) {
        System.exit(new CommandLine(new RelayMain()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        String password = System.getenv().getOrDefault("BULWARK_CAPTURE_PASSWORD", "");
        Database database = new Database(dbHost, dbPort, dbName, dbUser, password);
        OutboxTable table = new OutboxTable(schema);
        EventSchemas schemas = EventSchemas.load();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AutoCloseable relay;
        if (mode == Mode.cdc) {
            OutboxRelay.Settings settings = OutboxRelay.Settings.of(bootstrapServers, database, table)
                    .withOverrides(overrides);
            if (offsetsTopic != null) {
                settings = settings.withOffsetsTopic(offsetsTopic);
            }
            relay = OutboxRelay.start(settings, schemas, registry);
        } else {
            relay = PollingOutboxRelay.start(PollingOutboxRelay.Settings.of(bootstrapServers, database, table)
                    .withWorkers(workers), schemas, registry);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                relay.close();
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "bulwark-relay-shutdown"));
        System.out.println(STARTED_LINE + " (" + mode + ", " + database + ", schema " + schema + ")");
        System.out.flush();
        stopped.await();
        return 0;
    }
}
