package io.bulwark.devstack;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The dev-stack as a child JVM of a test, on this test's class path, every server on a free port. */
final class DevStackProcess {

    private DevStackProcess() {}

    /**
     * A process builder for {@code DevStack} with its data in {@code dataDir}, Kafka, PostgreSQL, Redis and the
     * three HTTP servers on port 0, {@code extraArgs} after those, and its output (stderr included) in {@code log}.
     */
    static ProcessBuilder onFreePorts(Path dataDir, Path log, String... extraArgs) {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-Xmx1g",
                "-cp",
                System.getProperty("java.class.path"),
                DevStack.class.getName(),
                "--data-dir",
                dataDir.toString()));
        for (String port : List.of(
                "--kafka-port", "--postgres-port", "--redis-port", "--http-port", "--orders-port", "--gateway-port")) {
            command.add(port);
            command.add("0");
        }
        command.addAll(List.of(extraArgs));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    }
}
