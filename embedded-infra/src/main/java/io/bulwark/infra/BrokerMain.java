package io.bulwark.infra;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The embedded single-node KRaft broker as its own process, so that it can be stopped (SIGTERM: a
 * controlled shutdown) or killed (SIGKILL) and started again on the same data directory, apart
 * from its clients. Prints {@value #READY_LINE} once it serves requests.
 */
@Command(
        name = "bulwark-broker",
        mixinStandardHelpOptions = true,
        version = "Bulwark embedded broker 0.1.0",
        description = "Runs a single-node Kafka (KRaft, broker and controller) on loopback.")
public final class BrokerMain implements Callable<Integer> {

    public static final String READY_LINE = "Bulwark broker ready on ";

    @Option(names = "--data-dir", required = true, paramLabel = "DIR", description = "Keeps the log in DIR/kafka.")
    Path dataDir;

    @Option(names = "--port", required = true, description = "Client listener port.")
    int port;

    @Option(
            names = "--controller-port",
            required = true,
            description = "Controller listener port (keep it across restarts).")
    int controllerPort;

    @Option(names = "--external-port", description = "A second client listener, advertised as --advertise.")
    int externalPort;

    @Option(
            names = "--advertise",
            paramLabel = "HOST:PORT",
            description = "What clients of --external-port are told to connect to.")
    String advertise;

    @Option(
            names = {"-s", "--set"},
            paramLabel = "KEY=VALUE",
            description = "A broker setting; repeatable.")
    Map<String, String> settings = new LinkedHashMap<>();

    public static void main(String[] args) {
        System.exit(new CommandLine(new BrokerMain()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        if ((externalPort == 0) != (advertise == null)) {
            System.err.println("--external-port and --advertise go together");
            return 2;
        }
        EmbeddedKafkaBroker.Builder builder =
                EmbeddedKafkaBroker.builder(dataDir).port(port).controllerPort(controllerPort);
        if (advertise != null) {
            builder.externalListener(externalPort, advertise);
        }
        settings.forEach(builder::brokerProperty);
        EmbeddedKafkaBroker broker = builder.build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            broker.close();
                            stopped.countDown();
                        },
                        "bulwark-broker-shutdown"));
        broker.start();
        System.out.println(READY_LINE + broker.bootstrapServers());
        System.out.flush();
        stopped.await();
        return 0;
    }
}
