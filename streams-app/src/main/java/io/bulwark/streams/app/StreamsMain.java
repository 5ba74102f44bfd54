package io.bulwark.streams.app;

import io.bulwark.schemas.Topics;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Command line of the streams app. Exit codes: 0 stopped, 1 failed while running, 2 bad configuration. */
@Command(
        name = "bulwark-streams",
        mixinStandardHelpOptions = true,
        version = "Bulwark streams app 0.1.0",
        description = "Runs Bulwark's Kafka Streams topologies. Configuration comes from --config FILE, "
                + "then BULWARK_STREAMS_* environment variables, then --set flags (later wins).")
public final class StreamsMain implements Callable<Integer> {

    public static final int EXIT_FAILED = 1;
    public static final int EXIT_BAD_CONFIG = 2;

    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with configuration keys.")
    Path configFile;

    @Option(
            names = {"-s", "--set"},
            paramLabel = "KEY=VALUE",
            description = "A configuration key; repeatable.")
    Map<String, String> flags = new LinkedHashMap<>();

    @Option(names = "--config-reference", description = "Print the configuration reference (Markdown) and exit.")
    boolean printReference;

    public static void main(String[] args) {
        System.exit(new CommandLine(new StreamsMain()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        if (printReference) {
            System.out.print(ConfigReference.markdown());
            return 0;
        }
        AppConfig config;
        try {
            config = ConfigLoader.load(configFile, System.getenv(), flags);
        } catch (ConfigException e) {
            System.err.println("Invalid configuration: " + e.getMessage());
            return EXIT_BAD_CONFIG;
        }
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                String.join(",", config.getList(AppConfig.BOOTSTRAP_SERVERS))))) {
            if (config.createTopics()) {
                TopicInstaller.createMissing(admin, Topics.all(), config.topicsReplicationFactor());
            }
            TopicInstaller.checkPartitions(admin, Topics.all());
        } catch (IllegalStateException e) {
            System.err.println(e.getMessage());
            return EXIT_BAD_CONFIG;
        }
        StreamsApp app = StreamsApp.start(config, BulwarkTopology.create(config));
        Thread hook = new Thread(app::close, "bulwark-shutdown");
        Runtime.getRuntime().addShutdownHook(hook); // SIGTERM and Ctrl-C: graceful close
        app.awaitTermination();
        if (app.failed()) {
            app.close();
            return EXIT_FAILED;
        }
        return 0;
    }
}
