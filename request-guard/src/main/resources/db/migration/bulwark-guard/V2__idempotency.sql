-- Idempotency keys: the durable record of a request's outcome, written in the transaction of the
-- request's business rows, so the record exists exactly when its effects do.
-- scope_id = SHA-256 of (client, method, path, key): keys are scoped to the caller and operation.
CREATE TABLE bulwark_idempotency (
    scope_id       text        PRIMARY KEY,
    client_id      text        NOT NULL,
    method         text        NOT NULL,
    path           text        NOT NULL,
    idem_key       text        NOT NULL,
    fingerprint    text        NOT NULL,
    status_code    int         NOT NULL,
    content_type   text,
    response_body  bytea       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL
);

CREATE INDEX bulwark_idempotency_expiry ON bulwark_idempotency (expires_at);
