package io.bulwark.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.infra.Ports;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.netcrusher.core.reactor.NioReactor;

/** The chaos run's faults do to a connection what they say: delay it, stall it, reset it, and heal. */
class FaultProxyTest {

    private ServerSocket echo;
    private NioReactor reactor;
    private FaultProxy proxy;

    @BeforeEach
    void start() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread server = new Thread(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket client = echo.accept();
                    Thread copy = new Thread(() -> {
                        try (client) {
                            client.getInputStream().transferTo(client.getOutputStream());
                        } catch (IOException e) {
                            // the test closed it
                        }
                    });
                    copy.setDaemon(true);
                    copy.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        server.setDaemon(true);
        server.start();
        reactor = new NioReactor();
        proxy = new FaultProxy(reactor, "echo", Ports.freePort(), echo.getLocalPort());
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        reactor.close();
        echo.close();
    }

    @Test
    void shouldPassBytesThroughWhenHealthy() throws IOException {
        try (Socket socket = connect()) {
            assertThat(roundTrip(socket, 'a')).isEqualTo('a');
        }
    }

    @Test
    void shouldAddLatencyEachWayUntilHealed() throws IOException {
        try (Socket socket = connect()) {
            proxy.latency(Duration.ofMillis(150));
            long began = System.nanoTime();
            assertThat(roundTrip(socket, 'b')).isEqualTo('b');
            assertThat(Duration.ofNanos(System.nanoTime() - began)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
            proxy.heal();
            assertThat(roundTrip(socket, 'c')).isEqualTo('c');
        }
    }

    @Test
    void shouldStallOpenConnectionsInABlackHoleAndDeliverAfterHealing() throws IOException {
        try (Socket socket = connect()) {
            assertThat(roundTrip(socket, 'd')).isEqualTo('d');
            proxy.blackHole();
            socket.setSoTimeout(500);
            socket.getOutputStream().write('e');
            assertThatThrownBy(() -> socket.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            proxy.heal();
            socket.setSoTimeout(10_000);
            assertThat(socket.getInputStream().read()).isEqualTo('e');
        }
    }

    @Test
    void shouldResetOpenConnectionsAndServeNewOnes() throws IOException {
        try (Socket socket = connect()) {
            assertThat(roundTrip(socket, 'f')).isEqualTo('f');
            proxy.reset();
            socket.setSoTimeout(10_000);
            assertThatThrownBy(() -> {
                        for (int i = 0; i < 100; i++) { // the first write may still be accepted by the local stack
                            socket.getOutputStream().write('g');
                            if (socket.getInputStream().read() < 0) {
                                throw new IOException("closed");
                            }
                        }
                    })
                    .isInstanceOf(IOException.class);
        }
        try (Socket fresh = connect()) {
            assertThat(roundTrip(fresh, 'h')).isEqualTo('h');
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", proxy.port());
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static int roundTrip(Socket socket, char c) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(c);
        out.flush();
        InputStream in = socket.getInputStream();
        return in.read();
    }
}
