package io.bulwark.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PortsTest {

    @Test
    void shouldHandOutDistinctBindablePortsBelowTheEphemeralRange() throws IOException {
        int ephemeralStart = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
                .get(0)
                .trim()
                .split("\\s+")[0]);
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            int port = Ports.freePort();
            assertThat(ports.add(port)).as("port %d handed out twice", port).isTrue();
            if (ephemeralStart > 10_000) {
                assertThat(port)
                        .as("outside the range outgoing connections take ports from")
                        .isBetween(10_000, ephemeralStart - 1);
            }
        }
        int port = Ports.freePort();
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            assertThat(Ports.isListening(port)).isTrue();
            assertThat(Ports.freePort())
                    .as("a port someone listens on is not handed out")
                    .isNotEqualTo(port);
        }
    }
}
