package io.bulwark.topology.rates;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.infra.Directories;
import io.bulwark.streams.rates.RateAccounting.Dimension;
import io.bulwark.streams.rates.RateAccounting.WindowKind;
import io.bulwark.topology.support.TestTopology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Tumbling and hopping window counts and sums equal a naive model computed from the same input,
 * for any orders whose lateness stays within the grace period. (Sliding windows are not modelled.)
 */
class RateAccountingPropertiesTest {

    static final long MINUTE = RateAccountingTopologyTest.MINUTE;

    record Order(int customer, int cents, int stepMs, int lateByMs) {}

    @Provide
    Arbitrary<List<Order>> orders() {
        return Combinators.combine(
                        Arbitraries.integers().between(0, 2),
                        Arbitraries.integers().between(0, 5_000),
                        Arbitraries.integers().between(0, 40_000),
                        Arbitraries.integers().between(0, 9_000))
                .as(Order::new)
                .list()
                .ofMinSize(1)
                .ofMaxSize(60);
    }

    @Property(tries = 40)
    void shouldMatchNaiveWindowModel(@ForAll("orders") List<Order> orders) throws Exception {
        Path dir = Files.createTempDirectory("rates-prop");
        try (TestTopology topology = new TestTopology(dir, RateAccountingTopologyTest.SETTINGS)) {
            Map<String, Long> tumblingCount = new TreeMap<>();
            Map<String, Long> tumblingSum = new TreeMap<>();
            Map<String, Long> hoppingCount = new TreeMap<>();
            Map<String, Long> hoppingSum = new TreeMap<>();
            long streamTime = 10 * MINUTE;
            int n = 0;
            for (Order o : orders) {
                streamTime += o.stepMs();
                long ts = streamTime - o.lateByMs(); // late by less than the 10 s grace: never dropped
                String customer = "c-" + o.customer();
                topology.pipe(TestTopology.order("p-" + n++, customer, null, o.cents()), ts);
                String tumbling = customer + "@" + (ts - ts % MINUTE);
                tumblingCount.merge(tumbling, 1L, Long::sum);
                tumblingSum.merge(tumbling, (long) o.cents(), Long::sum);
                for (long start = ts - ts % MINUTE; start > ts - 2 * MINUTE; start -= MINUTE) { // size 2 min, advance 1
                    hoppingCount.merge(customer + "@" + start, 1L, Long::sum);
                    hoppingSum.merge(customer + "@" + start, (long) o.cents(), Long::sum);
                }
            }
            assertStore(topology, WindowKind.TUMBLING, tumblingCount, tumblingSum);
            assertStore(topology, WindowKind.HOPPING, hoppingCount, hoppingSum);
        } finally {
            Directories.deleteRecursively(dir);
        }
    }

    private static void assertStore(
            TestTopology topology, WindowKind kind, Map<String, Long> counts, Map<String, Long> sums) {
        Map<String, Long> actualCounts = new TreeMap<>();
        Map<String, Long> actualSums = new TreeMap<>();
        for (int customer = 0; customer <= 2; customer++) {
            String key = "c-" + customer;
            topology.rateWindows(Dimension.CUSTOMER, kind, key).forEach((start, window) -> {
                actualCounts.put(key + "@" + start, window.count());
                actualSums.put(key + "@" + start, window.sumCents());
            });
        }
        assertThat(actualCounts).as("%s counts", kind).isEqualTo(counts);
        assertThat(actualSums).as("%s sums", kind).isEqualTo(sums);
    }
}
