package io.bulwark.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.bulwark.infra.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the dev-stack as its own process, as a user does, and stops it with SIGTERM. */
class DevStackProcessTest {

    private static final Pattern PORT = Pattern.compile("(?:127\\.0\\.0\\.1|localhost):(\\d+)");

    private final Path log = Path.of("target", "dev-stack-process-test.log");
    private Process process;

    @AfterEach
    void killLeftovers() {
        if (process != null && process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    private List<String> output() throws IOException {
        return Files.readAllLines(log, StandardCharsets.UTF_8);
    }

    @Test
    void shouldStartReportReadyAndStopOnSigtermLeavingNothingBehind(@TempDir Path dataDir) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        process = new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                DevStack.class.getName(), "--data-dir", dataDir.toString(),
                "--kafka-port", "0", "--postgres-port", "0", "--redis-port", "0", "--http-port", "0",
                "--orders-port", "0", "--gateway-port", "0")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();

        await().atMost(Duration.ofSeconds(120))
                .failFast("dev-stack exited early", () -> !process.isAlive())
                .until(() -> output().stream().anyMatch(line -> line.startsWith(DevStack.READY_LINE)));
        List<String> output = output();

        List<Integer> ports = new ArrayList<>();
        for (String service : List.of("Kafka", "PostgreSQL", "Redis", "Streams app")) {
            String line = output.stream().filter(l -> l.stripLeading().startsWith(service + " ")).findFirst()
                    .orElseThrow(() -> new AssertionError("no address printed for " + service + ": " + output));
            Matcher port = PORT.matcher(line);
            assertThat(port.find()).as(line).isTrue();
            ports.add(Integer.parseInt(port.group(1)));
        }
        HttpResponse<String> health = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(3) + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"outbox-relay\":{\"status\":\"UP\"");
        assertThat(health.body()).contains("\"order-api\":{\"status\":\"UP\"");
        assertThat(ports).allSatisfy(port -> assertThat(Ports.isListening(port)).as("port %d", port).isTrue());

        Set<ProcessHandle> children = new HashSet<>(process.descendants().toList());
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(dataDir.toString())).orElse(false))
                .forEach(children::add); // postgres detaches from its parent; find it by its data directory
        assertThat(children).as("redis and postgres processes").hasSizeGreaterThanOrEqualTo(2);

        process.destroy(); // SIGTERM
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("dev-stack exits after SIGTERM").isTrue();
        assertThat(process.exitValue()).isIn(0, 143);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(children).noneMatch(ProcessHandle::isAlive);
            assertThat(ports).noneMatch(Ports::isListening);
        });
        assertThat(output()).anyMatch(line -> line.contains("PostgreSQL on port " + ports.get(1) + " stopped"));
    }
}
