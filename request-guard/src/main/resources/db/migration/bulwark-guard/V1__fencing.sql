-- Fencing for request-guard locks.
-- bulwark_fencing_sequence: the durable token sequence per resource (survives a Redis failover).
-- bulwark_fence: per protected resource, the newest token a write was accepted with.
CREATE TABLE bulwark_fencing_sequence (
    resource  text   PRIMARY KEY,
    token     bigint NOT NULL
);

CREATE TABLE bulwark_fence (
    resource    text        PRIMARY KEY,
    last_token  bigint      NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
