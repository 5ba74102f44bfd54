-- An idempotency key's claim as one call, so that a request can send it in front of its first statement
-- (IdempotencyClaim) instead of in a round trip of its own. It takes the key's transaction advisory lock
-- without waiting, removes an expired record, and raises SQLSTATE BWI01 when the lock is held by another
-- request or a live record exists: PostgreSQL then skips the rest of the message, and the caller asks the
-- classic way (lock, then read the record) which of the two it was. VOLATILE (the default), so each query
-- below reads with a snapshot taken after the lock is held: a record committed by the previous owner is seen.
CREATE FUNCTION bulwark_idempotency_claim(lock_key bigint, scope text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock(lock_key) THEN
        RAISE EXCEPTION 'idempotency key % is in flight', scope USING ERRCODE = 'BWI01';
    END IF;
    DELETE FROM ${flyway:defaultSchema}.bulwark_idempotency WHERE scope_id = scope AND expires_at < now();
    IF EXISTS (SELECT 1 FROM ${flyway:defaultSchema}.bulwark_idempotency WHERE scope_id = scope) THEN
        RAISE EXCEPTION 'idempotency key % has a record', scope USING ERRCODE = 'BWI01';
    END IF;
END
$$;
