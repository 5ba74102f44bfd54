-- order-api's business tables. The outbox (connectors) and idempotency records (request-guard)
-- live in the same schema, so one transaction covers an order, its event and its key.
CREATE TABLE orders (
    order_id     text        PRIMARY KEY,
    client_id    text        NOT NULL,
    customer_id  text        NOT NULL,
    merchant_id  text,
    status       text        NOT NULL,
    currency     char(3)     NOT NULL,
    total_cents  bigint      NOT NULL CHECK (total_cents >= 0),
    lines        jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX orders_by_customer ON orders (customer_id, created_at);

-- Credit per customer: checked and charged under a per-customer lock; fence_token is the newest
-- lock token a write was accepted with, so a holder whose lease expired cannot write over a newer one.
CREATE TABLE customer_credit (
    customer_id  text        PRIMARY KEY,
    limit_cents  bigint      NOT NULL,
    used_cents   bigint      NOT NULL DEFAULT 0 CHECK (used_cents >= 0),
    fence_token  bigint      NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
