-- Many money intents in one statement (group commit, docs/decisions/0020): each row as
-- treasury_create_intent writes it (its hold, or its refusal as data, then the intent row), in the
-- order given, so a later hold on the same budget sees the earlier ones.
--
-- Two groups written at the same time may touch the same accounts in different orders; so, before
-- any hold, every account of the group is locked in id order, as ledger_place_holds locks the
-- accounts of one call. A single intent locks only its own two accounts, inside ledger_place_holds.
--
-- The reasons of each row are a JSON array (p_reasons is an array of them): PostgreSQL's arrays of
-- arrays must be rectangular.
CREATE FUNCTION treasury_create_intents(
  p_ids text[], p_portfolio_ids text[], p_venture_ids text[], p_amounts bigint[], p_currencies text[],
  p_counterparties text[], p_categories text[], p_purposes text[], p_idempotency_keys text[],
  p_request_hashes text[], p_requested_bys text[], p_statuses text[], p_approvals_required integer[],
  p_reasons jsonb, p_decisions jsonb[], p_expires_ats timestamptz[], p_decided_ats timestamptz[],
  p_decided_bys text[], p_created_ats timestamptz[], p_hold_ids text[], p_hold_debit_ids text[],
  p_hold_credit_ids text[], p_hold_memos text[]
) RETURNS TABLE (
  ord integer, hold_portfolio_id text, hold_book_id text, hold_currency text,
  refusal_state text, refusal_message text, refusal_detail text, refusal_constraint text
)
LANGUAGE plpgsql AS $$
DECLARE
  i integer;
BEGIN
  IF cardinality(p_ids) > 1 THEN
    PERFORM 1 FROM ledger_accounts
      WHERE ledger_accounts.id = ANY (p_hold_debit_ids || p_hold_credit_ids)
      ORDER BY ledger_accounts.id FOR NO KEY UPDATE;
  END IF;
  FOR i IN 1 .. cardinality(p_ids) LOOP
    RETURN QUERY SELECT i, r.*
      FROM treasury_create_intent(
        p_ids[i], p_portfolio_ids[i], p_venture_ids[i], p_amounts[i], p_currencies[i], p_counterparties[i],
        p_categories[i], p_purposes[i], p_idempotency_keys[i], p_request_hashes[i], p_requested_bys[i],
        p_statuses[i], p_approvals_required[i],
        ARRAY(SELECT jsonb_array_elements_text(p_reasons -> (i - 1))), p_decisions[i], p_expires_ats[i],
        p_decided_ats[i], p_decided_bys[i], p_created_ats[i], p_hold_ids[i], p_hold_debit_ids[i],
        p_hold_credit_ids[i], p_hold_memos[i]) AS r;
  END LOOP;
END;
$$;
