-- Heartbeat row for the Debezium connector. On a quiet database the replication slot would pin
-- WAL forever; the connector's heartbeat.action.query updates this row so the slot advances.
CREATE TABLE bulwark_heartbeat (
    id       smallint    PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    beat_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO bulwark_heartbeat (id) VALUES (1);
