-- The write of a money intent in one statement (docs/decisions/0018): the hold on the budget (or on
-- the treasury's cash) through the ledger's own ledger_place_holds, then the intent row.
--
-- A hold the ledger refuses (not enough budget) must not abort the command: the intent is then
-- recorded as denied, naming the shortfall, in the same transaction. The exception block below is
-- a subtransaction, exactly what a SAVEPOINT around the hold was, without the two round trips of
-- SAVEPOINT and RELEASE: the refusal (SQLSTATE, message, detail, constraint) comes back as data,
-- nothing is inserted, and the caller maps it with the ledger's toLedgerError and calls again with
-- the denial. Errors other than refusals are re-raised by the caller. QUERY_CANCELED (a statement
-- timeout) is not caught by WHEN OTHERS and aborts the command as before.
CREATE FUNCTION treasury_create_intent(
  p_id text, p_portfolio_id text, p_venture_id text, p_amount_minor bigint, p_currency text,
  p_counterparty text, p_category text, p_purpose text, p_idempotency_key text, p_request_hash text,
  p_requested_by text, p_status text, p_approvals_required integer, p_reasons text[], p_decision jsonb,
  p_expires_at timestamptz, p_decided_at timestamptz, p_decided_by text, p_created_at timestamptz,
  p_hold_id text, p_hold_debit_id text, p_hold_credit_id text, p_hold_memo text
) RETURNS TABLE (
  hold_portfolio_id text, hold_book_id text, hold_currency text,
  refusal_state text, refusal_message text, refusal_detail text, refusal_constraint text
)
LANGUAGE plpgsql AS $$
BEGIN
  IF p_hold_id IS NOT NULL THEN
    BEGIN
      SELECT h.out_portfolio_ids[1], h.out_book_ids[1], h.out_currencies[1]
        INTO hold_portfolio_id, hold_book_id, hold_currency
        FROM ledger_place_holds(ARRAY[p_hold_id], ARRAY[p_hold_debit_id], ARRAY[p_hold_credit_id],
                                ARRAY[p_amount_minor], ARRAY[p_expires_at], ARRAY[p_hold_memo]) AS h;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS refusal_state = RETURNED_SQLSTATE, refusal_message = MESSAGE_TEXT,
                              refusal_detail = PG_EXCEPTION_DETAIL, refusal_constraint = CONSTRAINT_NAME;
      RETURN NEXT;
      RETURN;
    END;
  END IF;
  INSERT INTO money_intents (id, portfolio_id, venture_id, amount_minor, currency, counterparty, category,
                             purpose, idempotency_key, request_hash, requested_by, status, approvals_required,
                             reasons, decision, hold_id, expires_at, decided_at, decided_by, decision_note,
                             version, created_at)
  VALUES (p_id, p_portfolio_id, p_venture_id, p_amount_minor, p_currency, p_counterparty, p_category,
          p_purpose, p_idempotency_key, p_request_hash, p_requested_by, p_status, p_approvals_required,
          p_reasons, p_decision, p_hold_id, p_expires_at, p_decided_at, p_decided_by, NULL,
          2, p_created_at);
  RETURN NEXT;
END;
$$;
