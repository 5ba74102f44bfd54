package io.bulwark.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class OrderStepsTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void shouldNameTheOrderByKeyHeaderOrCommandField() {
        OrderSteps steps = new OrderSteps();
        steps.note(record("bulwark.order.events", "o1", "OrderPlaced", null, null), 10 * MS);
        // an inventory event: keyed by SKU, the order in its correlation id
        steps.note(record("bulwark.inventory.events", "sku-1", "StockReserved", "sku-1", "o1"), 30 * MS);
        // an inventory command: plain JSON, no envelope headers
        steps.note(
                record(
                        "bulwark.inventory.commands",
                        "sku-1",
                        null,
                        null,
                        null,
                        "{\"type\":\"Reserve\",\"sku\":\"sku-1\",\"orderId\":\"o1\",\"quantity\":1}"),
                20 * MS);
        // a repeated command: counted, the first time kept
        steps.note(record("bulwark.payment.commands", "o1", "AuthorizePayment", null, null), 40 * MS);
        steps.note(record("bulwark.payment.commands", "o1", "AuthorizePayment", null, null), 90 * MS);

        List<OrderSteps.Step> table = steps.steps(Map.of("o1", 0L), Map.of("o1", 100 * MS), List.of("o1"));

        assertThat(table)
                .extracting(OrderSteps.Step::name)
                .containsExactly(
                        "bulwark.order.events OrderPlaced",
                        "bulwark.inventory.commands Reserve",
                        "bulwark.inventory.events StockReserved",
                        "bulwark.payment.commands AuthorizePayment",
                        "end");
        assertThat(table.get(3).p50Ms()).isEqualTo(40);
        assertThat(table.get(3).repeated()).isEqualTo(1);
        assertThat(table.get(1).repeated()).isZero();
        assertThat(table.get(4).p50Ms()).isEqualTo(100);
    }

    @Test
    void shouldRankStepsByTheirMedianAndShowWhereTheSlowestOrdersWaited() {
        Map<String, Map<String, OrderSteps.Seen>> seen = new HashMap<>();
        Map<String, Long> accepted = new HashMap<>();
        Map<String, Long> ended = new HashMap<>();
        List<String> orders = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            String id = "o" + i;
            long start = i * 1_000 * MS;
            boolean slow = i == 99; // waits 2 s between its command and the reply
            accepted.put(id, start);
            seen.put(
                    id,
                    Map.of(
                            "command", new OrderSteps.Seen(start + 50 * MS),
                            "reply", new OrderSteps.Seen(start + (slow ? 2_100 : 100) * MS)));
            ended.put(id, start + (slow ? 2_200 : 200) * MS);
            orders.add(id);
        }
        // a step only a few orders take is left out of the table; o0 has no reply now, so that row counts 99
        seen.put("o0", Map.of("command", new OrderSteps.Seen(50 * MS), "rare", new OrderSteps.Seen(60 * MS)));
        orders.add("never-ended");
        accepted.put("never-ended", 0L);

        List<OrderSteps.Step> table = OrderSteps.steps(seen, accepted, ended, orders);

        assertThat(table).extracting(OrderSteps.Step::name).containsExactly("command", "reply", "end");
        OrderSteps.Step reply = table.get(1);
        assertThat(reply.orders()).isEqualTo(99);
        assertThat(reply.p50Ms()).isEqualTo(100);
        assertThat(reply.maxMs()).isEqualTo(2_100);
        assertThat(table.get(0).slowestMeanMs())
                .as("the slowest 1% sent its command on time")
                .isCloseTo(50, within(0.001));
        assertThat(reply.slowestMeanMs()).as("and waited for the reply").isCloseTo(2_100, within(0.001));
        assertThat(table.get(2).orders()).as("only orders that ended").isEqualTo(100);
    }

    @Test
    void shouldTraceBulwarkTopicsAndRepartitionsOnly() {
        assertThat(OrderTrace.traced("bulwark.order.events")).isTrue();
        assertThat(OrderTrace.traced("bulwark-streams-read-order-status-grouped-repartition"))
                .isTrue();
        assertThat(OrderTrace.traced("bulwark.dead-letters")).isFalse();
        assertThat(OrderTrace.traced("bulwark.outbox-relay.offsets")).isFalse();
        assertThat(OrderTrace.traced("bulwark-streams-inventory-items-changelog"))
                .isFalse();
        assertThat(OrderTrace.traced("__consumer_offsets")).isFalse();
    }

    private static ConsumerRecord<byte[], byte[]> record(
            String topic, String key, String type, String aggregateId, String correlationId) {
        return record(topic, key, type, aggregateId, correlationId, "{}");
    }

    private static ConsumerRecord<byte[], byte[]> record(
            String topic, String key, String type, String aggregateId, String correlationId, String value) {
        RecordHeaders headers = new RecordHeaders();
        if (type != null) {
            headers.add("eventType", bytes(type));
        }
        if (aggregateId != null) {
            headers.add("aggregateId", bytes(aggregateId));
        }
        if (correlationId != null) {
            headers.add("correlationId", bytes(correlationId));
        }
        return new ConsumerRecord<>(
                topic, 0, 0, 0, TimestampType.CREATE_TIME, -1, -1, bytes(key), bytes(value), headers, Optional.empty());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
