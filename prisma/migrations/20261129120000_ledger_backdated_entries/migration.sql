-- Back-dated entries (ADR 0004, "Back-dated entries"): ledger_post_entries takes an optional
-- p_created_at, the time the entries happened, for history recorded after the fact (the demo
-- portfolio's 90 days, an import of books kept elsewhere). Without it (NULL, the default) the
-- function is exactly what 20261128170000_ledger_write_path made it: entries dated now(), today's
-- daily totals. With it, the entries carry that created_at and their postings count on its UTC day:
-- the daily-totals code already handled a posting dated before an account's latest day (it goes to
-- ledger_closed_daily_totals) and one dated after it (the latest day moves to the table), because
-- raw writers could always date their entries. A created_at after now() is refused (LR001,
-- created_at_in_future). Balances, flags and floors are judged as for any write: on the balances
-- as they are now, whatever the date.
--
-- The function gains a parameter, so it is dropped and created again (CREATE OR REPLACE would add
-- an overload, and a nine-argument call would then be ambiguous). Callers that pass nine arguments
-- (postEntries, ledger_post_entry's hand-over) resolve to it through the default; the body is the
-- previous one but for v_at/v_day and the entries' created_at.
DROP FUNCTION ledger_post_entries(text[], text[], text[], int[], int[], int[], int[], text[], bigint[]);

CREATE FUNCTION ledger_post_entries(
  p_entry_ids text[], p_memos text[], p_reversal_ofs text[], p_counts int[], p_first int[],
  p_posting_entry int[], p_posting_seq int[], p_account_ids text[], p_amounts bigint[],
  p_created_at timestamptz DEFAULT NULL,
  OUT out_portfolio_ids text[], OUT out_currencies text[]
) LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  v_books text[];
  v_refusal jsonb;
  v_entry int;
  v_ids text[];
  v_debits bigint[];
  v_credits bigint[];
  v_postings int[];
  v_zeros bigint[];
  v_updated int;
  v_writer text;
  v_at timestamptz := coalesce(p_created_at, now());
  v_day date := (coalesce(p_created_at, now()) AT TIME ZONE 'UTC')::date;
BEGIN
  -- A back-dated entry is history being recorded late (an import, the demo portfolio); an entry
  -- dated ahead of the database clock would put postings on days that have not happened.
  IF p_created_at > now() THEN
    RAISE EXCEPTION USING ERRCODE = 'LR001', MESSAGE = 'ledger refused: ' || jsonb_build_object(
      'reason', 'created_at_in_future', 'createdAt', p_created_at, 'now', now())::text;
  END IF;
  PERFORM 1 FROM ledger_accounts WHERE id = ANY (p_account_ids) ORDER BY id FOR NO KEY UPDATE;
  WITH p AS MATERIALIZED (
    SELECT t.e, t.ord, t.amount, a.id IS NULL AS unknown, a.book_id, a.currency::text AS currency, a.portfolio_id
      FROM unnest(p_posting_entry, p_account_ids, p_amounts) WITH ORDINALITY AS t(e, account_id, amount, ord)
      LEFT JOIN ledger_accounts a ON a.id = t.account_id
  )
  SELECT array_agg(p.book_id ORDER BY p.ord), array_agg(p.currency ORDER BY p.ord),
         array_agg(p.portfolio_id ORDER BY p.ord),
         coalesce(
           (SELECT jsonb_build_object('reason', 'unknown_account', 'entryId', p_entry_ids[u.e],
                                      'accountId', p_account_ids[u.ord], 'index', u.ord)
              FROM p u WHERE u.unknown ORDER BY u.ord LIMIT 1),
           (SELECT jsonb_build_object('reason', 'unbalanced', 'entryId', p_entry_ids[b.e], 'bookId', b.book_id,
                                      'currency', b.currency, 'sumMinor', sum(b.amount)::text)
              FROM p b GROUP BY b.e, b.book_id, b.currency HAVING sum(b.amount) <> 0 ORDER BY b.e, min(b.ord) LIMIT 1),
           (SELECT jsonb_build_object('reason', 'mixed_portfolios', 'entryId', p_entry_ids[m.e])
              FROM p m GROUP BY m.e HAVING count(DISTINCT m.portfolio_id) > 1 LIMIT 1))
    INTO v_books, out_currencies, out_portfolio_ids, v_refusal
    FROM p;
  IF v_refusal IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'LR001', MESSAGE = 'ledger refused: ' || v_refusal::text;
  END IF;
  -- Each posting carries its entry's count, seq < count and (entry, seq) is unique: with as many
  -- postings as the counts add up to, every entry has exactly its declared count.
  IF (SELECT sum(n) FROM unnest(p_counts) AS n) IS DISTINCT FROM cardinality(p_account_ids) THEN
    RAISE EXCEPTION 'ledger invariant: the entries declare % postings but % were given',
      (SELECT sum(n) FROM unnest(p_counts) AS n), cardinality(p_account_ids) USING ERRCODE = 'check_violation';
  END IF;
  -- The shape of what is about to be written (the rules of ledger_entries_check and
  -- ledger_postings_check, which these inserts no longer meet as table CHECKs).
  IF EXISTS (SELECT 1 FROM unnest(p_entry_ids, p_reversal_ofs, p_counts) AS e(id, reversal_of, n)
              WHERE n IS NULL OR n < 2 OR e.reversal_of = e.id) THEN
    RAISE EXCEPTION 'new row for relation "ledger_entries" violates check constraint "ledger_entries_check"'
      USING ERRCODE = 'check_violation';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(p_posting_entry, p_posting_seq, p_amounts) AS t(e, seq, amount)
              WHERE t.amount IS NULL OR t.amount = 0 OR t.seq IS NULL OR t.seq < 0 OR t.seq >= p_counts[t.e]) THEN
    RAISE EXCEPTION 'new row for relation "ledger_postings" violates check constraint "ledger_postings_check"'
      USING ERRCODE = 'check_violation';
  END IF;
  -- A reversal is the exact negation of its original, posting for posting.
  IF cardinality(array_remove(p_reversal_ofs, NULL)) > 0 THEN
    SELECT r.e INTO v_entry
      FROM unnest(p_reversal_ofs) WITH ORDINALITY AS r(original, e)
     WHERE r.original IS NOT NULL
       AND EXISTS ((SELECT t.account_id, t.amount
                      FROM unnest(p_posting_entry, p_account_ids, p_amounts) AS t(e, account_id, amount) WHERE t.e = r.e
                    EXCEPT ALL
                    SELECT o.account_id, -o.amount_minor FROM ledger_postings o WHERE o.entry_id = r.original)
                   UNION ALL
                   (SELECT o.account_id, -o.amount_minor FROM ledger_postings o WHERE o.entry_id = r.original
                    EXCEPT ALL
                    SELECT t.account_id, t.amount
                      FROM unnest(p_posting_entry, p_account_ids, p_amounts) AS t(e, account_id, amount) WHERE t.e = r.e))
     LIMIT 1;
    IF v_entry IS NOT NULL THEN
      RAISE EXCEPTION 'ledger invariant: entry % is not the exact reversal of %', p_entry_ids[v_entry], p_reversal_ofs[v_entry]
        USING ERRCODE = 'check_violation';
    END IF;
  END IF;

  v_writer := set_config('ledger.writer', 'on', true);
  INSERT INTO ledger_entries (id, portfolio_id, posting_count, memo, reversal_of, created_at)
  SELECT e.id, out_portfolio_ids[e.first_idx], e.n, e.memo, e.reversal_of, v_at
    FROM unnest(p_entry_ids, p_memos, p_reversal_ofs, p_counts, p_first) AS e(id, memo, reversal_of, n, first_idx);

  INSERT INTO ledger_postings (entry_id, posting_count, seq, account_id, book_id, currency, amount_minor)
  SELECT p_entry_ids[t.e], p_counts[t.e], t.seq, t.account_id, v_books[t.ord], out_currencies[t.ord], t.amount
    FROM unnest(p_posting_entry, p_posting_seq, p_account_ids, p_amounts) WITH ORDINALITY AS t(e, seq, account_id, amount, ord);

  SELECT array_agg(account_id ORDER BY account_id), array_agg(debits ORDER BY account_id),
         array_agg(credits ORDER BY account_id), array_agg(n ORDER BY account_id)
    INTO v_ids, v_debits, v_credits, v_postings
    FROM (SELECT account_id, sum(greatest(amount, 0))::bigint AS debits, sum(greatest(-amount, 0))::bigint AS credits,
                 count(*)::int AS n
            FROM unnest(p_account_ids, p_amounts) AS t(account_id, amount) GROUP BY account_id) x;
  -- Daily totals first, while each row still has its latest day: a latest day before today moves
  -- to the table, and so do postings on an account whose latest day is after today (a raw
  -- writer's entry dated ahead); then the balances and today's totals move in one UPDATE.
  INSERT INTO ledger_closed_daily_totals AS t (account_id, day, debits_minor, credits_minor, postings)
  SELECT a.id, a.totals_day, a.totals_debits_minor, a.totals_credits_minor, a.totals_postings
    FROM ledger_accounts a WHERE a.id = ANY (v_ids) AND a.totals_postings > 0 AND a.totals_day < v_day
  UNION ALL
  SELECT d.id, v_day, d.debits, d.credits, d.n
    FROM unnest(v_ids, v_debits, v_credits, v_postings) AS d(id, debits, credits, n)
    JOIN ledger_accounts a ON a.id = d.id
   WHERE a.totals_day > v_day
   ORDER BY 1, 2
  ON CONFLICT (account_id, day) DO UPDATE
    SET debits_minor = t.debits_minor + excluded.debits_minor,
        credits_minor = t.credits_minor + excluded.credits_minor,
        postings = t.postings + excluded.postings;
  UPDATE ledger_accounts a
     SET debits_posted = a.debits_posted + d.debits, credits_posted = a.credits_posted + d.credits,
         totals_day = greatest(a.totals_day, v_day),
         totals_debits_minor = CASE WHEN a.totals_day = v_day THEN a.totals_debits_minor + d.debits
                                    WHEN a.totals_day > v_day THEN a.totals_debits_minor ELSE d.debits END,
         totals_credits_minor = CASE WHEN a.totals_day = v_day THEN a.totals_credits_minor + d.credits
                                     WHEN a.totals_day > v_day THEN a.totals_credits_minor ELSE d.credits END,
         totals_postings = CASE WHEN a.totals_day = v_day THEN a.totals_postings + d.n
                                WHEN a.totals_day > v_day THEN a.totals_postings ELSE d.n END
    FROM unnest(v_ids, v_debits, v_credits, v_postings) AS d(id, debits, credits, n)
   WHERE a.id = d.id
     AND (NOT a.debits_must_not_exceed_credits
          OR a.credits_posted + d.credits - a.debits_posted - d.debits - a.debits_pending >= a.floor_minor)
     AND (NOT a.credits_must_not_exceed_debits
          OR a.debits_posted + d.debits - a.credits_posted - d.credits - a.credits_pending >= a.floor_minor);
  GET DIAGNOSTICS v_updated = ROW_COUNT;
  IF v_updated < cardinality(v_ids) THEN
    v_zeros := array_fill(0::bigint, ARRAY[cardinality(v_ids)]);
    RAISE EXCEPTION USING ERRCODE = 'LR001', MESSAGE = 'ledger refused: ' || coalesce(
      ledger_floor_refusal(v_ids, v_debits, v_credits, v_zeros, v_zeros)::text, '{"reason": "below_floor"}');
  END IF;
  v_writer := set_config('ledger.writer', '', true);
END;
$$;
