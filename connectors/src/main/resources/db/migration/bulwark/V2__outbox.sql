-- The transactional outbox. A service inserts its events here in the same transaction as its
-- business rows; Debezium (or the polling relay) publishes each row to Kafka:
--   topic  bulwark.<aggregate_type>.events      key  aggregate_id      value  payload (JSON)
--   headers id, eventType, aggregateType, aggregateId, aggregateVersion, occurredAt,
--           correlationId, causationId, traceparent
CREATE TABLE bulwark_outbox (
    event_id          uuid        PRIMARY KEY,
    aggregate_type    text        NOT NULL CHECK (aggregate_type ~ '^[a-z][a-z0-9-]{0,63}$'),
    aggregate_id      text        NOT NULL CHECK (length(aggregate_id) BETWEEN 1 AND 255),
    aggregate_version bigint      CHECK (aggregate_version >= 0),
    event_type        text        NOT NULL CHECK (event_type ~ '^[A-Z][A-Za-z0-9]{0,127}$'),
    schema_version    integer     NOT NULL DEFAULT 1 CHECK (schema_version >= 1),
    payload           jsonb       NOT NULL,
    occurred_at       timestamptz NOT NULL,
    correlation_id    text,
    causation_id      text,
    traceparent       text,
    -- Insertion order: the polling relay publishes in this order, per aggregate.
    seq               bigint      GENERATED ALWAYS AS IDENTITY,
    created_at        timestamptz NOT NULL DEFAULT now(),
    -- Set by the polling relay when it has published the row; never used by CDC.
    published_at      timestamptz
);

-- The polling relay's work queue: unpublished rows in insertion order.
CREATE INDEX bulwark_outbox_unpublished ON bulwark_outbox (seq) WHERE published_at IS NULL;
-- Order checks per aggregate and pruning by age.
CREATE INDEX bulwark_outbox_aggregate ON bulwark_outbox (aggregate_type, aggregate_id, seq) WHERE published_at IS NULL;
CREATE INDEX bulwark_outbox_created ON bulwark_outbox (created_at);
