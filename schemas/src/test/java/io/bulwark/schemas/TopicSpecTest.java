package io.bulwark.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;

class TopicSpecTest {

    @Test
    void shouldDeclareEveryTopicOnceWithLegalSettings() {
        var names = new HashSet<String>();
        for (TopicSpec<?, ?> spec : Topics.all()) {
            assertThat(names.add(spec.name()))
                    .as("duplicate topic " + spec.name())
                    .isTrue();
            assertThat(spec.partitions()).isPositive();
        }
        assertThat(names).contains("bulwark.order.events", "bulwark.dead-letters");
    }

    @Test
    void shouldTurnSpecIntoAdminRequest() {
        NewTopic topic = Topics.ORDER_EVENTS.newTopic((short) 1);
        assertThat(topic.name()).isEqualTo("bulwark.order.events");
        assertThat(topic.numPartitions()).isEqualTo(Topics.DOMAIN_PARTITIONS);
        assertThat(topic.configs())
                .containsEntry("cleanup.policy", "delete")
                .containsEntry("retention.ms", Long.toString(Duration.ofDays(7).toMillis()));
    }

    @Test
    void shouldRejectIllegalTopicName() {
        assertThatThrownBy(() -> new TopicSpec<>(
                        "has space", Serdes.String(), Serdes.String(), 1, CleanupPolicy.DELETE, Optional.empty()))
                .hasMessageContaining("'has space'");
    }

    @Test
    void shouldRejectRetentionOnPureCompaction() {
        assertThatThrownBy(() -> new TopicSpec<>(
                        "t",
                        Serdes.String(),
                        Serdes.String(),
                        1,
                        CleanupPolicy.COMPACT,
                        Optional.of(Duration.ofHours(1))))
                .hasMessageContaining("COMPACT_DELETE");
    }

    @Test
    void shouldRejectZeroPartitions() {
        assertThatThrownBy(() -> new TopicSpec<>(
                        "t", Serdes.String(), Serdes.String(), 0, CleanupPolicy.DELETE, Optional.empty()))
                .hasMessageContaining("partitions = 0");
    }
}
