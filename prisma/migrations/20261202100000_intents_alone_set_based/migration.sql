-- A single money intent takes the set-based path too (docs/decisions/0020, amended): one
-- ledger_place_holds call and one INSERT in one subtransaction, instead of treasury_create_intent's
-- own subtransaction, single-hold call and row insert. A group of one is common: under a closed
-- loop, the first request of each burst finds a runner free and goes alone. A hold the ledger
-- refuses still falls back to the row-by-row path, which answers with the refusal as row data.
CREATE OR REPLACE FUNCTION treasury_create_intents(
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
  v_holds integer[];
  v_portfolios text[];
  v_books text[];
  v_currencies text[];
BEGIN
  IF cardinality(p_ids) > 0 THEN
    -- The rows that place a hold, in order; the k-th hold's answer is the k-th of ledger_place_holds.
    SELECT array_agg(t.n ORDER BY t.n) INTO v_holds
      FROM unnest(p_hold_ids) WITH ORDINALITY AS t(id, n) WHERE t.id IS NOT NULL;
    BEGIN
      IF v_holds IS NOT NULL THEN
        -- ledger_place_holds locks every account of the set in id order first.
        SELECT h.out_portfolio_ids, h.out_book_ids, h.out_currencies INTO v_portfolios, v_books, v_currencies
          FROM ledger_place_holds(
            ARRAY(SELECT p_hold_ids[n] FROM unnest(v_holds) WITH ORDINALITY AS w(n, k) ORDER BY k),
            ARRAY(SELECT p_hold_debit_ids[n] FROM unnest(v_holds) WITH ORDINALITY AS w(n, k) ORDER BY k),
            ARRAY(SELECT p_hold_credit_ids[n] FROM unnest(v_holds) WITH ORDINALITY AS w(n, k) ORDER BY k),
            ARRAY(SELECT p_amounts[n] FROM unnest(v_holds) WITH ORDINALITY AS w(n, k) ORDER BY k),
            ARRAY(SELECT p_expires_ats[n] FROM unnest(v_holds) WITH ORDINALITY AS w(n, k) ORDER BY k),
            ARRAY(SELECT p_hold_memos[n] FROM unnest(v_holds) WITH ORDINALITY AS w(n, k) ORDER BY k)) AS h;
      END IF;
      INSERT INTO money_intents (id, portfolio_id, venture_id, amount_minor, currency, counterparty, category,
                                 purpose, idempotency_key, request_hash, requested_by, status,
                                 approvals_required, reasons, decision, hold_id, expires_at, decided_at,
                                 decided_by, decision_note, version, created_at)
      SELECT t.id, t.portfolio_id, t.venture_id, t.amount, t.currency, t.counterparty, t.category, t.purpose,
             t.idempotency_key, t.request_hash, t.requested_by, t.status, t.approvals_required,
             ARRAY(SELECT jsonb_array_elements_text(p_reasons -> (t.n::int - 1))), t.decision, t.hold_id,
             t.expires_at, t.decided_at, t.decided_by, NULL, 2, t.created_at
        FROM unnest(p_ids, p_portfolio_ids, p_venture_ids, p_amounts, p_currencies, p_counterparties,
                    p_categories, p_purposes, p_idempotency_keys, p_request_hashes, p_requested_bys,
                    p_statuses, p_approvals_required, p_decisions, p_expires_ats, p_decided_ats,
                    p_decided_bys, p_created_ats, p_hold_ids)
             WITH ORDINALITY AS t(id, portfolio_id, venture_id, amount, currency, counterparty, category,
                                  purpose, idempotency_key, request_hash, requested_by, status,
                                  approvals_required, decision, expires_at, decided_at, decided_by,
                                  created_at, hold_id, n)
       ORDER BY t.n;
      RETURN QUERY
        SELECT t.n::integer, v_portfolios[w.k], v_books[w.k], v_currencies[w.k],
               NULL::text, NULL::text, NULL::text, NULL::text
          FROM unnest(p_ids) WITH ORDINALITY AS t(id, n)
          LEFT JOIN unnest(v_holds) WITH ORDINALITY AS w(n, k) ON w.n = t.n
         ORDER BY t.n;
      RETURN;
    EXCEPTION WHEN OTHERS THEN
      -- Most likely a hold the budget cannot cover: row by row below, each refusal its own row's.
      -- Anything else fails again there, and reaches the caller.
      NULL;
    END;
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
