package io.bulwark.streams.query;

import static io.bulwark.streams.query.QueryFixture.get;
import static io.bulwark.streams.query.QueryFixture.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.infra.KafkaService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.streams.aggregate.inventory.InventoryAggregate;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.app.BrokerApps;
import io.bulwark.streams.app.BulwarkTopology;
import io.bulwark.streams.app.StreamsApp;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.LagInfo;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two instances of the app (same application id, own state directories and ports) on the embedded
 * broker: every key is answered correctly through either instance, a key owned by the other is
 * forwarded one hop (visible in the answer), lists fan out and merge, and when one instance stops
 * the other answers from its standby copy (marked stale) and then fresh once it owns the partitions.
 */
@ExtendWith(SharedInfraExtension.class)
class QueryRoutingTest {

    private static final int SKUS = 24;

    @Test
    void shouldAnswerEveryKeyThroughEitherInstanceAndSurviveOneStopping(
            KafkaService kafka, @TempDir Path stateA, @TempDir Path stateB) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> settings = Map.of(
                AppConfig.NUM_STANDBY_REPLICAS,
                "1",
                AppConfig.QUERY_RETRY_TIMEOUT_MS,
                "2000",
                "kafka.session.timeout.ms",
                "6000",
                "kafka.heartbeat.interval.ms",
                "1000");
        AppConfig configA = BrokerApps.config(kafka, "query-routing-" + run, stateA, settings);
        AppConfig configB = BrokerApps.config(kafka, "query-routing-" + run, stateB, settings);
        StreamsApp a = StreamsApp.start(configA, BulwarkTopology.create(configA));
        StreamsApp b = StreamsApp.start(configB, BulwarkTopology.create(configB));
        try {
            BrokerApps.awaitPositioned(a, b);
            try (KafkaProducer<byte[], byte[]> producer = QueryFixture.producer(kafka)) {
                for (int i = 0; i < SKUS; i++) {
                    QueryFixture.restock(producer, sku(run, i), 10 + i, System.currentTimeMillis());
                }
            }

            // Every key, through either instance: the right value; forwarded exactly when the other owns it.
            Map<String, HostInfo> owners = new HashMap<>();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                for (int i = 0; i < SKUS; i++) {
                    for (StreamsApp via : List.of(a, b)) {
                        HttpResponse<String> item = get(via.httpPort(), "/query/inventory/items/" + sku(run, i));
                        assertThat(item.statusCode()).as(item.body()).isEqualTo(200);
                        assertThat(json(item).path("available").asLong()).isEqualTo(10 + i);
                        HostInfo owner = a.streams()
                                .queryMetadataForKey(
                                        InventoryAggregate.ITEMS_STORE,
                                        sku(run, i),
                                        Serdes.String().serializer())
                                .activeHost();
                        owners.put(sku(run, i), owner);
                        assertThat(item.headers().firstValue("Bulwark-Served-By"))
                                .hasValue(name(owner));
                        assertThat(item.headers()
                                        .firstValue("Bulwark-Forwarded")
                                        .isPresent())
                                .as("forwarded iff %s is not the owner %s", name(via.endpoint()), name(owner))
                                .isEqualTo(!owner.equals(via.endpoint()));
                        assertThat(item.headers().firstValue("Bulwark-Stale")).isEmpty();
                    }
                }
            });
            assertThat(owners.values()).as("both instances own keys").contains(a.endpoint(), b.endpoint());

            // A list fans out to both and merges.
            HttpResponse<String> list = get(a.httpPort(), "/query/inventory/items");
            List<String> keys = json(list).path("items").findValuesAsText("key");
            for (int i = 0; i < SKUS; i++) {
                assertThat(keys).contains(sku(run, i));
            }
            assertThat(list.headers().firstValue("Bulwark-Served-By").orElseThrow())
                    .contains(name(a.endpoint()))
                    .contains(name(b.endpoint()));
            assertThat(list.headers().firstValue("Bulwark-Forwarded")).hasValue("true");

            // Paging across both instances: pages of 3, each the next keys in order, none twice, none missed.
            List<String> paged = new ArrayList<>();
            String cursor = null;
            for (int page = 0; page < 100; page++) {
                JsonNode body = json(get(
                        a.httpPort(),
                        "/query/inventory/items?limit=3"
                                + (cursor == null
                                        ? ""
                                        : "&after=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8))));
                List<String> pageKeys = body.path("items").findValuesAsText("key");
                assertThat(pageKeys.size()).isLessThanOrEqualTo(3);
                paged.addAll(pageKeys);
                if (!body.has("nextCursor")) {
                    break;
                }
                cursor = body.path("nextCursor").asText();
            }
            assertThat(paged)
                    .as("every key once, in order")
                    .isSortedAccordingTo(String::compareTo)
                    .doesNotHaveDuplicates()
                    .containsExactlyElementsOf(new TreeSet<>(keys));

            // A's standby copies have caught up with B's active stores. Under exactly-once the changelog's last
            // offset can be a transaction marker, which a standby never reads as a record: a lag of 1 is caught up.
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                Map<Integer, LagInfo> lags =
                        a.streams().allLocalStorePartitionLags().getOrDefault(InventoryAggregate.ITEMS_STORE, Map.of());
                assertThat(lags).as("%s", lags).hasSize(6);
                assertThat(lags.values()).as("%s", lags).allMatch(lag -> lag.offsetLag() <= 1);
            });

            b.close();

            // B is gone but still in the group until its session times out: A answers B's keys from its standby.
            int stale = 0;
            int unavailable = 0;
            List<String> answers = new ArrayList<>();
            boolean fresh = false;
            long until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (!fresh && System.nanoTime() < until) {
                fresh = true;
                for (int i = 0; i < SKUS; i++) {
                    HttpResponse<String> item = get(a.httpPort(), "/query/inventory/items/" + sku(run, i));
                    if (item.statusCode() == 503) {
                        assertThat(item.headers().firstValue("Retry-After")).isPresent();
                        unavailable++;
                        fresh = false;
                        continue;
                    }
                    assertThat(item.statusCode()).as(item.body()).isEqualTo(200);
                    assertThat(json(item).path("available").asLong()).isEqualTo(10 + i);
                    assertThat(item.headers().firstValue("Bulwark-Served-By")).hasValue(name(a.endpoint()));
                    if (item.headers().firstValue("Bulwark-Stale").isPresent()) {
                        assertThat(owners.get(sku(run, i)))
                                .as("only B's keys are stale")
                                .isEqualTo(b.endpoint());
                        assertThat(item.headers().firstValue("Cache-Control")).hasValue("no-cache");
                        stale++;
                        fresh = false;
                    }
                }
                answers.add("stale=" + stale + " unavailable=" + unavailable);
            }
            assertThat(fresh)
                    .as("A answers every key fresh after the rebalance: %s", answers)
                    .isTrue();
            assertThat(stale)
                    .as("B's keys were answered stale from A's standby before the rebalance")
                    .isPositive();
            assertThat(a.state()).isEqualTo(KafkaStreams.State.RUNNING);
            JsonNode after = json(get(a.httpPort(), "/query/inventory/items"));
            assertThat(after.path("count").asInt()).isGreaterThanOrEqualTo(SKUS);
        } finally {
            b.close();
            a.close();
        }
    }

    private static String sku(String run, int i) {
        return "sku-r-" + run + "-" + i;
    }

    private static String name(HostInfo host) {
        return host.host() + ":" + host.port();
    }
}
