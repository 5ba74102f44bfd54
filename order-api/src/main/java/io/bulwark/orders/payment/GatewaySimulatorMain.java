package io.bulwark.orders.payment;

import java.util.concurrent.CountDownLatch;

/**
 * Runs the payment gateway simulator on its own: {@code GatewaySimulatorMain [port] [host]}
 * (default 8090 on 127.0.0.1). Change its faults with {@code PUT /faults}.
 */
public final class GatewaySimulatorMain {

    private GatewaySimulatorMain() {}

    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8090;
        String host = args.length > 1 ? args[1] : "127.0.0.1";
        GatewaySimulator simulator = new GatewaySimulator(host, port);
        System.out.println("Payment gateway simulator on http://" + host + ":" + simulator.port()
                + " (POST /v1/charges, POST /v1/voids, PUT /faults, GET /stats)");
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            simulator.close();
            done.countDown();
        }));
        done.await();
    }
}
