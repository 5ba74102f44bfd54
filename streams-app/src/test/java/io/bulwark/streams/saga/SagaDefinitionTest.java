package io.bulwark.streams.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shape rules of a saga definition, and how its steps group into stages. */
class SagaDefinitionTest {

    @Test
    void shouldGroupStepsSentWithThePreviousOneIntoStages() {
        SagaDefinition saga =
                saga(step("a"), step("b").withPrevious(), step("c"), step("d").withPrevious());

        assertThat(saga.stageEnd(0)).isEqualTo(2);
        assertThat(saga.stageEnd(1))
                .as("a stage entered at its second step ends where the stage ends")
                .isEqualTo(2);
        assertThat(saga.stageEnd(2)).isEqualTo(4);
        assertThat(saga(step("a"), step("b")).stageEnd(0)).as("steps in turn").isEqualTo(1);
    }

    @Test
    void shouldKeepAStepsStageWhenItGetsCompletionCommands() {
        SagaStep step = step("b").withPrevious().onSagaCompleted(context -> List.of());

        assertThat(step.sentWithPrevious()).isTrue();
        assertThat(step.completion()).isNotNull();
    }

    @Test
    void shouldRefuseAFirstStepSentWithAPreviousOne() {
        assertThatThrownBy(() -> saga(step("a").withPrevious(), step("b")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'a'")
                .hasMessageContaining("no previous step");
    }

    @Test
    void shouldRefuseTwoStepsWithOneName() {
        assertThatThrownBy(() -> saga(step("a"), step("a").withPrevious()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("two steps with one name");
    }

    private static SagaDefinition saga(SagaStep... steps) {
        return new SagaDefinition(
                "test", "Started", List.of(steps), context -> null, (context, reason, status) -> null);
    }

    private static SagaStep step(String name) {
        return new SagaStep(
                name,
                context -> List.of(),
                context -> List.of(),
                (trigger, reply) -> Outcome.notMine(),
                Duration.ofSeconds(1),
                1,
                Duration.ofMillis(100));
    }
}
