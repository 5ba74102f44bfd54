-- Orders follow the order-fulfilment saga: PLACED, then CANCEL_REQUESTED when the client asked to cancel
-- (a request: the saga decides), then the saga's outcome, set once by order-api's outcome consumer:
-- CONFIRMED, REJECTED, CANCELLED or NEEDS_ATTENTION. outcome_event_id is the outcome event applied.
ALTER TABLE orders ADD COLUMN outcome_event_id uuid, ADD COLUMN outcome_reason text;

-- A credit line belongs to one API client's customer and is provisioned explicitly
-- (PUT /customers/{id}, or customers.auto.provision). Rows from before this migration belong to no
-- client ('') and are no client's customers until provisioned again.
ALTER TABLE customer_credit ADD COLUMN client_id text NOT NULL DEFAULT '';
ALTER TABLE customer_credit DROP CONSTRAINT customer_credit_pkey;
ALTER TABLE customer_credit ADD PRIMARY KEY (client_id, customer_id);
ALTER TABLE customer_credit ALTER COLUMN client_id DROP DEFAULT;
