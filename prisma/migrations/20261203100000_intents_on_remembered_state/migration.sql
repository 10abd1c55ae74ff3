-- Money intents decided on the state a process remembers, checked where they are written
-- (docs/decisions/0022). A group whose every venture's state this process has read before is decided
-- in Node first, and this function checks, in the statement that writes the group, that everything
-- the decisions read is still so: the kill-switch is running (its row locked FOR SHARE, as the read
-- of createIntent locks it), no intent has the key, the venture is the portfolio's, no freeze
-- applies, the counterparty allowlist and the active treasury policy version are those decided on.
-- Then it writes the group as treasury_create_intents does and returns its rows. When any of it no
-- longer holds it writes nothing and returns no rows: the caller then reads the state in the same
-- transaction and decides again. A group that writes returns one row per intent, so no rows is
-- never an answer of treasury_create_intents for a non-empty group.
--
-- p_policies, p_allowlists and p_also_frozen hold one element per intent: the active policy pointer
-- decided on ({"number", "hash"}, or null when none was active), the allowlist (any order), and
-- the other ventures whose freezes also deny the intent.
--
-- The check runs by index probes only, whatever the statistics say: each lookup is a scalar
-- subquery with LIMIT 1, in a function planned once per connection without sequential scans, hash
-- or merge joins (as the ledger's triggers are). Written as `EXISTS (… money_intents …) OR …`, the
-- key lookup became a hashed subplan that read every intent's key per call, a plan cached per
-- connection on statistics from when money_intents was nearly empty: 7-13 ms per group once it held
-- ~10,000 intents (auto_explain in the load bench).
CREATE FUNCTION treasury_intent_states_unchanged(
  p_policies jsonb, p_allowlists jsonb, p_also_frozen jsonb,
  p_portfolio_ids text[], p_venture_ids text[], p_idempotency_keys text[]
) RETURNS boolean
LANGUAGE plpgsql STABLE
  SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_hashjoin = off
  SET enable_mergejoin = off AS $$
BEGIN
  RETURN NOT EXISTS (
    SELECT 1
      FROM unnest(p_portfolio_ids, p_venture_ids, p_idempotency_keys) WITH ORDINALITY
             AS i(portfolio_id, venture_id, idempotency_key, n)
     WHERE (SELECT 1 FROM money_intents m
             WHERE m.portfolio_id = i.portfolio_id AND m.idempotency_key = i.idempotency_key LIMIT 1) IS NOT NULL
        OR (SELECT v.portfolio_id FROM ventures v WHERE v.id = i.venture_id) IS DISTINCT FROM i.portfolio_id
        OR (SELECT 1 FROM treasury_freezes f
             WHERE f.portfolio_id = i.portfolio_id
               AND (f.venture_id IS NULL OR f.venture_id = i.venture_id
                    OR (p_also_frozen -> (i.n::int - 1)) ? f.venture_id)
             LIMIT 1) IS NOT NULL
        OR ARRAY(SELECT c.counterparty_id FROM treasury_counterparties c
                  WHERE c.venture_id = i.venture_id ORDER BY c.counterparty_id)
           IS DISTINCT FROM
           ARRAY(SELECT a FROM jsonb_array_elements_text(p_allowlists -> (i.n::int - 1)) AS a ORDER BY a)
        OR coalesce(
             (SELECT jsonb_build_object('number', s.active_number, 'hash', v.version_hash)
                FROM policy_sets s
                JOIN policy_versions v
                  ON v.portfolio_id = s.portfolio_id AND v.scope = s.scope AND v.number = s.active_number
               WHERE s.portfolio_id = i.portfolio_id AND s.scope = 'treasury'),
             'null'::jsonb)
           IS DISTINCT FROM (p_policies -> (i.n::int - 1)));
END;
$$;

CREATE FUNCTION treasury_create_intents_if_current(
  p_policies jsonb, p_allowlists jsonb, p_also_frozen jsonb,
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
BEGIN
  -- A pause waits for this transaction; a pause in progress is waited for, and then this reads its
  -- outcome (READ COMMITTED re-checks a locked row that changed) and finds the switch not running.
  PERFORM 1 FROM control_state WHERE scope = 'global' AND state = 'running' FOR SHARE;
  IF NOT FOUND OR NOT treasury_intent_states_unchanged(p_policies, p_allowlists, p_also_frozen,
                                                        p_portfolio_ids, p_venture_ids, p_idempotency_keys) THEN
    RETURN;
  END IF;
  RETURN QUERY SELECT * FROM treasury_create_intents(
    p_ids, p_portfolio_ids, p_venture_ids, p_amounts, p_currencies, p_counterparties, p_categories, p_purposes,
    p_idempotency_keys, p_request_hashes, p_requested_bys, p_statuses, p_approvals_required, p_reasons,
    p_decisions, p_expires_ats, p_decided_ats, p_decided_bys, p_created_ats, p_hold_ids, p_hold_debit_ids,
    p_hold_credit_ids, p_hold_memos);
END;
$$;
