package io.bulwark.orders;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.config.ConfigException;

/**
 * Runs order-api (and the payment worker when {@code payment.worker.enabled}):
 * {@code java -cp ... io.bulwark.orders.OrderApiMain [--set key=value ...]}, settings also from
 * {@code BULWARK_ORDERS_*} environment variables. Exits 2 on bad configuration; SIGTERM stops it.
 */
public final class OrderApiMain {

    private OrderApiMain() {}

    public static void main(String[] args) throws InterruptedException {
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--set") && i + 1 < args.length && args[i + 1].contains("=")) {
                String pair = args[++i];
                flags.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
            } else {
                System.err.println("Usage: OrderApiMain [--set key=value ...]; unexpected argument: " + args[i]);
                System.exit(2);
            }
        }
        OrderApiConfig config;
        try {
            config = OrderApiConfig.load(System.getenv(), flags);
        } catch (ConfigException e) {
            System.err.println("Invalid order-api configuration: " + e.getMessage());
            System.exit(2);
            return;
        }
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        OrderApiApp app = OrderApiApp.start(config, meters);
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            app.close();
                            done.countDown();
                        },
                        "order-api-shutdown"));
        done.await();
    }
}
