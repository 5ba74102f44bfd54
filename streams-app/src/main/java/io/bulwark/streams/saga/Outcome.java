package io.bulwark.streams.saga;

/** How a step reads a participant's reply. */
public sealed interface Outcome permits Outcome.Succeeded, Outcome.Failed, Outcome.Retry, Outcome.NotMine {

    /** The command did what it asked. */
    record Succeeded() implements Outcome {}

    /** The command was refused for good: compensate. */
    record Failed(String reason) implements Outcome {}

    /** A transient failure: send the step's commands again after the backoff, within the attempt limit. */
    record Retry(String reason) implements Outcome {}

    /** Not a reply this step understands. */
    record NotMine() implements Outcome {}

    static Outcome succeeded() {
        return new Succeeded();
    }

    static Outcome failed(String reason) {
        return new Failed(reason);
    }

    static Outcome retry(String reason) {
        return new Retry(reason);
    }

    static Outcome notMine() {
        return new NotMine();
    }
}
