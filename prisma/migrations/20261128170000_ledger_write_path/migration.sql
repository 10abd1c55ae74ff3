-- The ledger's write functions keep their own books (ADR 0004, "Who keeps the books").
--
-- Until now every INSERT into ledger_postings fired two statement triggers with transition tables
-- (balances; the daily totals of 20261128120000_treasury_funding_reports), every entry a deferred
-- check at commit, every balance update a row trigger's WHEN, the postings four foreign-key
-- lookups, and PostgreSQL parsed every CHECK expression from its stored text again on every
-- statement. For one transfer per transaction that bookkeeping cost more than the transfer. Now:
--   * ledger_post_entry (one entry of two postings) and ledger_post_entries (batches) verify the
--     entry (known accounts, balanced per book and currency, one portfolio, posting counts,
--     reversals, flags and floors) over the rows they locked, then write the entry, its postings,
--     the balances and the daily totals themselves. While they write, the transaction-local
--     setting ledger.writer is 'on'; they clear it before they return.
--   * Any other writer (raw SQL, a script, another module, ledger_resolve_hold) is served by
--     triggers, as before: its postings are checked against their entry and account (what the
--     foreign keys checked), applied to balances (a broken flag or floor is refused by name) and
--     to daily totals, and its entries are checked at commit. Raw writers cannot make balances
--     or daily totals drift.
--   * Balances and daily totals can only be written by the ledger: the guards refuse a statement
--     from outside the ledger's triggers (trigger depth 0) unless a ledger function is writing.
--     Setting ledger.writer by hand switches the bookkeeping off for one's own writes; that is as
--     deliberate as session_replication_role = replica (which switches off every trigger), and
--     the account CHECK stays the last word on balances either way.
--   * The account CHECK keeps its name and rule but calls a PL/pgSQL function on the whole row,
--     whose expression is prepared once per transaction (a table CHECK's text is parsed again on
--     every statement), and which names a broken flag and floor itself (LR001, with the account,
--     the shortfall and the constraint's name). The shape rules
--     of entries and postings (ledger_entries_check, ledger_postings_check) are checked where
--     entries and postings are written, and refused under the same names.
--   * Daily totals: an account's latest day is kept on its own row (totals_day, totals_*), in the
--     same UPDATE as its balance; earlier days are rows of ledger_closed_daily_totals (the former
--     ledger_daily_totals table). The view ledger_daily_totals is their union, with the same
--     columns and the same figures as the table it replaces: one row per (account, UTC day of the
--     entry's created_at). A day moves from the account row to the table when a later day's
--     posting arrives, and a posting dated before the account's latest day goes straight to the
--     table, so no (account, day) is ever in both.

-- ---------------------------------------------------------------------------------------------
-- Row CHECKs.
-- ---------------------------------------------------------------------------------------------
-- The account CHECK also names a broken flag and floor: on failure it compares the row with the
-- version the statement started from and raises the same refusal as the ledger's triggers
-- (LR001, account, available, change), so a write path need not test floors before its UPDATE.
-- The refusal carries the constraint's name; any other broken balance fails the CHECK as usual.
CREATE FUNCTION ledger_account_within_limits(a ledger_accounts) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE
  -- record, not ledger_accounts: pg_dump restores with an empty search_path, and the CHECK must
  -- compile then to validate the restored rows.
  o record;
BEGIN
  IF a.debits_posted >= 0 AND a.credits_posted >= 0 AND a.debits_pending >= 0 AND a.credits_pending >= 0
     AND (NOT a.debits_must_not_exceed_credits OR a.credits_posted - a.debits_posted - a.debits_pending >= a.floor_minor)
     AND (NOT a.credits_must_not_exceed_debits OR a.debits_posted - a.credits_posted - a.credits_pending >= a.floor_minor) THEN
    RETURN true;
  END IF;
  SELECT * INTO o FROM ledger_accounts WHERE id = a.id;
  IF FOUND AND a.debits_posted >= 0 AND a.credits_posted >= 0 AND a.debits_pending >= 0 AND a.credits_pending >= 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'LR001', MESSAGE = 'ledger refused: ' || jsonb_build_object(
      'reason', 'below_floor', 'constraint', 'ledger_accounts_floor_check', 'accountId', a.id,
      'currency', a.currency::text, 'floorMinor', a.floor_minor::text,
      'availableMinor', (CASE WHEN a.debits_must_not_exceed_credits
                              THEN o.credits_posted - o.debits_posted - o.debits_pending
                              ELSE o.debits_posted - o.credits_posted - o.credits_pending END)::text,
      'changeMinor', (CASE WHEN a.debits_must_not_exceed_credits
                           THEN (a.credits_posted - a.debits_posted - a.debits_pending)
                                - (o.credits_posted - o.debits_posted - o.debits_pending)
                           ELSE (a.debits_posted - a.credits_posted - a.credits_pending)
                                - (o.debits_posted - o.credits_posted - o.credits_pending) END)::text)::text;
  END IF;
  RETURN false;
END;
$$;
ALTER TABLE "ledger_accounts" DROP CONSTRAINT "ledger_accounts_floor_check";
ALTER TABLE "ledger_accounts" ADD CONSTRAINT "ledger_accounts_floor_check"
  CHECK (ledger_account_within_limits(ledger_accounts));

-- The shape of entries and postings (ledger_entries_check, ledger_postings_check) is checked where
-- they are written: by the functions before they write, and for any other writer by the postings
-- trigger (at once) and the entries' deferred check (at commit), which refuse with the same
-- constraint names. Entries and postings are never updated, so these rules only ever applied to
-- inserts; as table CHECKs they cost every transfer three function calls.
ALTER TABLE "ledger_entries" DROP CONSTRAINT "ledger_entries_check";
ALTER TABLE "ledger_postings" DROP CONSTRAINT "ledger_postings_check";

-- ---------------------------------------------------------------------------------------------
-- Guards.
-- ---------------------------------------------------------------------------------------------
-- Balances and daily totals change only through the ledger: a statement at trigger depth 0
-- (inside this guard: depth 1) is refused unless a ledger function is writing. Statement-level
-- and without WHEN: one cheap call per statement instead of a WHEN re-read per statement.
CREATE FUNCTION ledger_guard_account_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() = 1 AND current_setting('ledger.writer', true) IS DISTINCT FROM 'on' THEN
    RAISE EXCEPTION 'ledger accounts: % refused; balances move only through entries and holds', TG_OP
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END;
$$;
DROP TRIGGER ledger_accounts_no_direct_update ON "ledger_accounts";
DROP FUNCTION ledger_refuse_account_write();
CREATE TRIGGER ledger_accounts_no_direct_update BEFORE UPDATE ON "ledger_accounts"
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_guard_account_update();

CREATE FUNCTION ledger_guard_daily_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() = 1 AND current_setting('ledger.writer', true) IS DISTINCT FROM 'on' THEN
    RAISE EXCEPTION 'ledger_daily_totals is derived from postings: % refused', TG_OP
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END;
$$;
DROP TRIGGER ledger_daily_totals_guard ON "ledger_daily_totals";
CREATE TRIGGER ledger_daily_totals_guard BEFORE INSERT OR UPDATE OR DELETE ON "ledger_daily_totals"
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_guard_daily_write();

-- ---------------------------------------------------------------------------------------------
-- Daily totals: the latest day on the account row, earlier days in ledger_closed_daily_totals,
-- the union under the old name. Existing totals move in place: each account's latest day to its
-- row, the rest stays in the table.
-- ---------------------------------------------------------------------------------------------
ALTER TABLE "ledger_accounts"
  ADD COLUMN "totals_day" DATE,
  ADD COLUMN "totals_debits_minor" BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN "totals_credits_minor" BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN "totals_postings" INTEGER NOT NULL DEFAULT 0;

ALTER TABLE "ledger_daily_totals" RENAME TO "ledger_closed_daily_totals";
ALTER TABLE "ledger_closed_daily_totals" RENAME CONSTRAINT "ledger_daily_totals_pkey" TO "ledger_closed_daily_totals_pkey";

-- The guards above let the ledger's functions write; this migration moves the existing totals as
-- one of them would (for its session, whether or not the runner wraps the file in a transaction).
SELECT set_config('ledger.writer', 'on', false);

UPDATE ledger_accounts a
   SET totals_day = t.day, totals_debits_minor = t.debits_minor, totals_credits_minor = t.credits_minor,
       totals_postings = t.postings
  FROM (SELECT DISTINCT ON (account_id) account_id, day, debits_minor, credits_minor, postings
          FROM ledger_closed_daily_totals ORDER BY account_id, day DESC) t
 WHERE a.id = t.account_id;
DELETE FROM ledger_closed_daily_totals t USING ledger_accounts a WHERE a.id = t.account_id AND a.totals_day = t.day;

CREATE VIEW "ledger_daily_totals" AS
  SELECT account_id, day, debits_minor, credits_minor, postings FROM ledger_closed_daily_totals
  UNION ALL
  SELECT id, totals_day, totals_debits_minor, totals_credits_minor, totals_postings
    FROM ledger_accounts WHERE totals_postings > 0;

-- The view is derived from postings like the table was: writing it is refused the same way.
CREATE FUNCTION ledger_refuse_daily_view_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger_daily_totals is derived from postings: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER ledger_daily_totals_read_only INSTEAD OF INSERT OR UPDATE OR DELETE ON "ledger_daily_totals"
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_daily_view_write();

-- An account opens with no totals, as with zero balances.
CREATE OR REPLACE FUNCTION ledger_check_new_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.debits_posted <> 0 OR NEW.credits_posted <> 0 OR NEW.debits_pending <> 0 OR NEW.credits_pending <> 0
     OR NEW.totals_day IS NOT NULL OR NEW.totals_debits_minor <> 0 OR NEW.totals_credits_minor <> 0
     OR NEW.totals_postings <> 0 THEN
    RAISE EXCEPTION 'ledger account %: an account opens with zero balances', NEW.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT (NEW.kind IN ('asset', 'liability', 'equity', 'revenue', 'expense')
          AND NEW.currency ~ '^[A-Z]{3}$'
          AND NEW.book_id = coalesce(NEW.venture_id, NEW.portfolio_id)
          AND NOT (NEW.debits_must_not_exceed_credits AND NEW.credits_must_not_exceed_debits)) THEN
    RAISE EXCEPTION 'ledger account %: kind, currency, book or flags are invalid', NEW.id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;

-- Adds posting totals per (account, day) to the daily totals, for writers other than the
-- functions (which do the same inline). Input: one row per (account, day), accounts locked by
-- the caller. A day after the account's latest day becomes its latest (the previous one moves to
-- the table); a day before it goes to the table; the latest day itself adds on the row.
CREATE FUNCTION ledger_add_daily_totals(
  p_ids text[], p_days date[], p_debits bigint[], p_credits bigint[], p_postings int[]
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  WITH g AS (
    SELECT * FROM unnest(p_ids, p_days, p_debits, p_credits, p_postings) AS g(id, day, debits, credits, postings)
  ), latest AS (
    SELECT g.id, greatest(max(g.day), min(a.totals_day)) AS day
      FROM g JOIN ledger_accounts a ON a.id = g.id GROUP BY g.id
  )
  INSERT INTO ledger_closed_daily_totals AS t (account_id, day, debits_minor, credits_minor, postings)
  SELECT x.id, x.day, sum(x.debits), sum(x.credits), sum(x.postings)
    FROM (SELECT a.id, a.totals_day AS day, a.totals_debits_minor AS debits, a.totals_credits_minor AS credits,
                 a.totals_postings AS postings
            FROM ledger_accounts a JOIN latest l ON l.id = a.id
           WHERE a.totals_postings > 0 AND a.totals_day < l.day
          UNION ALL
          SELECT g.id, g.day, g.debits, g.credits, g.postings
            FROM g JOIN latest l ON l.id = g.id
           WHERE g.day < l.day) x
   GROUP BY 1, 2
   ORDER BY 1, 2
  ON CONFLICT (account_id, day) DO UPDATE
    SET debits_minor = t.debits_minor + excluded.debits_minor,
        credits_minor = t.credits_minor + excluded.credits_minor,
        postings = t.postings + excluded.postings;

  WITH g AS (
    SELECT * FROM unnest(p_ids, p_days, p_debits, p_credits, p_postings) AS g(id, day, debits, credits, postings)
  ), latest AS (
    SELECT id, max(day) AS day FROM g GROUP BY id
  )
  UPDATE ledger_accounts a
     SET totals_day = g.day,
         totals_debits_minor = CASE WHEN a.totals_day = g.day THEN a.totals_debits_minor ELSE 0 END + g.debits,
         totals_credits_minor = CASE WHEN a.totals_day = g.day THEN a.totals_credits_minor ELSE 0 END + g.credits,
         totals_postings = CASE WHEN a.totals_day = g.day THEN a.totals_postings ELSE 0 END + g.postings
    FROM g JOIN latest l ON l.id = g.id AND l.day = g.day
   WHERE a.id = g.id AND (a.totals_day IS NULL OR a.totals_day <= g.day);
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- Postings: foreign keys become checks (functions: by construction; others: the trigger below).
-- Postings still carry their entry's posting_count (checked against the entry, by the functions
-- and by the trigger), so seq < posting_count with the (entry_id, seq) key still bounds the
-- postings an entry can ever have. The unique (id, posting_count) on entries served only the key.
-- ---------------------------------------------------------------------------------------------
ALTER TABLE "ledger_postings" DROP CONSTRAINT "ledger_postings_entry_id_posting_count_fkey";
ALTER TABLE "ledger_postings" DROP CONSTRAINT "ledger_postings_account_id_book_id_currency_fkey";
DROP INDEX "ledger_entries_id_posting_count_key";

-- Postings written by anyone but the ledger's functions: their shape (the former CHECK), what the
-- foreign keys checked, then the
-- balances (one UPDATE per statement, skipping then naming an account that would break its flag
-- and floor, LR001) and the daily totals (per account and UTC day of the entry's created_at, as
-- ledger_apply_daily_totals computed them).
-- A function write returns at the first line: one call per statement, no WHEN to re-read.
CREATE FUNCTION ledger_apply_raw_postings() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_bad record;
  v_want bigint;
  v_got bigint;
  v_ids text[];
  v_debits bigint[];
  v_credits bigint[];
  v_zeros bigint[];
  v_days date[];
  v_postings int[];
BEGIN
  IF current_setting('ledger.writer', true) = 'on' THEN
    RETURN NULL;
  END IF;
  SELECT p.entry_id, p.seq INTO v_bad FROM new_postings p
   WHERE NOT (p.amount_minor <> 0 AND p.seq >= 0 AND p.seq < p.posting_count) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'new row for relation "ledger_postings" violates check constraint "ledger_postings_check"'
      USING ERRCODE = 'check_violation',
            DETAIL = format('Posting %s#%s: the amount must not be zero and seq must be below posting_count.',
                            v_bad.entry_id, v_bad.seq);
  END IF;
  SELECT p.entry_id, p.posting_count, p.account_id, p.book_id, p.currency, e.id IS NULL AS no_entry INTO v_bad
    FROM new_postings p
    LEFT JOIN ledger_entries e ON e.id = p.entry_id AND e.posting_count = p.posting_count
    LEFT JOIN ledger_accounts a ON a.id = p.account_id AND a.book_id = p.book_id AND a.currency = p.currency
   WHERE e.id IS NULL OR a.id IS NULL
   LIMIT 1;
  IF FOUND THEN
    IF v_bad.no_entry THEN
      RAISE EXCEPTION 'ledger_postings: foreign key (entry_id, posting_count)=(%, %) is not present in ledger_entries',
        v_bad.entry_id, v_bad.posting_count USING ERRCODE = 'foreign_key_violation';
    END IF;
    RAISE EXCEPTION 'ledger_postings: foreign key (account_id, book_id, currency)=(%, %, %) is not present in ledger_accounts',
      v_bad.account_id, v_bad.book_id, v_bad.currency USING ERRCODE = 'foreign_key_violation';
  END IF;

  WITH d AS MATERIALIZED (
    SELECT account_id AS id, sum(greatest(amount_minor, 0))::bigint AS dp, sum(greatest(-amount_minor, 0))::bigint AS cp
      FROM new_postings GROUP BY account_id
  ), u AS (
    UPDATE ledger_accounts a
       SET debits_posted = a.debits_posted + d.dp, credits_posted = a.credits_posted + d.cp
      FROM d
     WHERE a.id = d.id
       AND (NOT a.debits_must_not_exceed_credits
            OR a.credits_posted + d.cp - a.debits_posted - d.dp - a.debits_pending >= a.floor_minor)
       AND (NOT a.credits_must_not_exceed_debits
            OR a.debits_posted + d.dp - a.credits_posted - d.cp - a.credits_pending >= a.floor_minor)
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM u) INTO v_want, v_got;
  IF v_got < v_want THEN
    SELECT array_agg(account_id), array_agg(dp), array_agg(cp), array_agg(0::bigint)
      INTO v_ids, v_debits, v_credits, v_zeros
      FROM (SELECT account_id, sum(greatest(amount_minor, 0))::bigint AS dp,
                   sum(greatest(-amount_minor, 0))::bigint AS cp
              FROM new_postings GROUP BY account_id) x;
    RAISE EXCEPTION USING ERRCODE = 'LR001', MESSAGE = 'ledger refused: ' || coalesce(
      ledger_floor_refusal(v_ids, v_debits, v_credits, v_zeros, v_zeros)::text, '{"reason": "below_floor"}');
  END IF;

  SELECT array_agg(account_id), array_agg(day), array_agg(debits), array_agg(credits), array_agg(n)
    INTO v_ids, v_days, v_debits, v_credits, v_postings
    FROM (SELECT p.account_id, (e.created_at AT TIME ZONE 'UTC')::date AS day,
                 sum(greatest(p.amount_minor, 0))::bigint AS debits, sum(greatest(-p.amount_minor, 0))::bigint AS credits,
                 count(*)::int AS n
            FROM new_postings p JOIN ledger_entries e ON e.id = p.entry_id
           GROUP BY 1, 2) x;
  PERFORM ledger_add_daily_totals(v_ids, v_days, v_debits, v_credits, v_postings);
  RETURN NULL;
END;
$$;

DROP TRIGGER ledger_postings_apply ON "ledger_postings";
DROP TRIGGER ledger_postings_daily ON "ledger_postings"; -- ledger_apply_daily_totals() is no longer called
DROP FUNCTION ledger_apply_postings();
CREATE TRIGGER ledger_postings_raw_writer AFTER INSERT ON "ledger_postings"
  REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_raw_postings();

-- The deferred check, unchanged but for the entry's shape (the former ledger_entries_check).
CREATE OR REPLACE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  v_count int;
  v_sum numeric;
  v_several boolean;
  v_unbalanced text;
  v_hold record;
BEGIN
  IF NOT (NEW.posting_count >= 2 AND NEW.reversal_of IS DISTINCT FROM NEW.id
          AND (NEW.reversal_of IS NULL OR NEW.hold_id IS NULL)) THEN
    RAISE EXCEPTION 'new row for relation "ledger_entries" violates check constraint "ledger_entries_check"'
      USING ERRCODE = 'check_violation',
            DETAIL = format('Entry %s: at least two postings, not its own reversal, not both a reversal and a settlement.', NEW.id);
  END IF;
  -- One pass over the entry's postings; most entries live in one book and currency, where the
  -- plain sum decides. Only an entry spanning several needs the grouped check.
  SELECT count(*), sum(amount_minor), min(book_id) <> max(book_id) OR min(currency) <> max(currency)
    INTO v_count, v_sum, v_several
    FROM ledger_postings WHERE entry_id = NEW.id;
  IF v_count <> NEW.posting_count THEN
    RAISE EXCEPTION 'ledger invariant: entry % declares % postings but has %', NEW.id, NEW.posting_count, v_count
      USING ERRCODE = 'check_violation';
  END IF;
  IF v_several THEN
    SELECT book_id || ' ' || currency || ' sums to ' || sum(amount_minor) INTO v_unbalanced
      FROM ledger_postings WHERE entry_id = NEW.id GROUP BY book_id, currency HAVING sum(amount_minor) <> 0 LIMIT 1;
  ELSIF v_sum <> 0 THEN
    v_unbalanced := 'the postings sum to ' || v_sum;
  END IF;
  IF v_unbalanced IS NOT NULL THEN
    RAISE EXCEPTION 'ledger invariant: entry % does not balance: %', NEW.id, v_unbalanced
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.reversal_of IS NOT NULL AND EXISTS (
       (SELECT account_id, amount_minor FROM ledger_postings WHERE entry_id = NEW.id
        EXCEPT ALL
        SELECT account_id, -amount_minor FROM ledger_postings WHERE entry_id = NEW.reversal_of)
       UNION ALL
       (SELECT account_id, -amount_minor FROM ledger_postings WHERE entry_id = NEW.reversal_of
        EXCEPT ALL
        SELECT account_id, amount_minor FROM ledger_postings WHERE entry_id = NEW.id)) THEN
    RAISE EXCEPTION 'ledger invariant: entry % is not the exact reversal of %', NEW.id, NEW.reversal_of
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.hold_id IS NOT NULL THEN
    SELECT h.debit_account_id, h.credit_account_id, r.outcome, r.posted_minor INTO v_hold
      FROM ledger_holds h LEFT JOIN ledger_hold_resolutions r ON r.hold_id = h.id
     WHERE h.id = NEW.hold_id;
    IF v_hold.outcome IS DISTINCT FROM 'posted' OR v_count <> 2 OR EXISTS (
         SELECT account_id, amount_minor FROM ledger_postings WHERE entry_id = NEW.id
         EXCEPT ALL
         VALUES (v_hold.debit_account_id, v_hold.posted_minor), (v_hold.credit_account_id, -v_hold.posted_minor)) THEN
      RAISE EXCEPTION 'ledger invariant: entry % does not settle hold % as resolved', NEW.id, NEW.hold_id
        USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NULL;
END;
$$;

-- Entries checked at commit: those the functions did not write and verify. The WHEN of a
-- constraint trigger is evaluated when the row is inserted, while the function's setting holds.
DROP TRIGGER ledger_entries_balanced ON "ledger_entries";
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON "ledger_entries"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (current_setting('ledger.writer', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION ledger_check_entry();

-- ---------------------------------------------------------------------------------------------
-- A batch of entries (postEntries; an entry of more than two postings; anything the two-posting
-- path hands over). Same arguments, result and refusals, in the same order, as before. It now
-- also verifies what the deferred check verified (posting counts; reversals), and keeps the
-- balances (each account once, on the batch's net effect, skipping then naming an account that
-- would break its flag and floor) and the daily totals itself. It also takes each account's
-- first posting of a day, which the two-posting path hands over.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION ledger_post_entries(
  p_entry_ids text[], p_memos text[], p_reversal_ofs text[], p_counts int[], p_first int[],
  p_posting_entry int[], p_posting_seq int[], p_account_ids text[], p_amounts bigint[],
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
  v_day date := (now() AT TIME ZONE 'UTC')::date;
BEGIN
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
  INSERT INTO ledger_entries (id, portfolio_id, posting_count, memo, reversal_of)
  SELECT e.id, out_portfolio_ids[e.first_idx], e.n, e.memo, e.reversal_of
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

-- ---------------------------------------------------------------------------------------------
-- One entry of two postings (a transfer), the common call, in two statements: the first locks
-- both accounts in id order (FOR NO KEY UPDATE marks rows in the order of the FROM list) and
-- decides in one expression whether the transfer passes the checks that come before the write
-- (flags and floors are the account CHECK's, which names a breach); the
-- second writes the entry, its postings, and both balances and daily totals. Anything else (an
-- unknown account, the same account twice, a reversal, an account's first posting of the day, a
-- refusal) goes through
-- ledger_post_entries, which verifies it and names the refusal exactly as before. PostgreSQL
-- prepares every expression of a statement on every call, evaluated or not, so these statements
-- carry only what a passing transfer needs; with scalar parameters and no SET clause it keeps
-- one generic plan per statement. Returns {portfolio, currency of posting 1, of posting 2}.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION ledger_post_entry(
  p_id text, p_memo text, p_reversal_of text,
  p_account_1 text, p_amount_1 bigint, p_account_2 text, p_amount_2 bigint
) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
  r record;
  v_writer text;
BEGIN
  -- x is the account with the lower id, y the other. A passing transfer balances (y moves by
  -- -x_amount), both accounts share one book, currency and portfolio, and today is already their
  -- latest day of daily totals.
  SELECT x.id AS x_id, y.id AS y_id, x.book_id, x.currency::text AS currency, x.portfolio_id,
         greatest(v.x_amount, 0) AS x_debit, greatest(-v.x_amount, 0) AS x_credit,
         p_reversal_of IS NULL AND p_amount_1 <> 0 AND p_amount_1 + p_amount_2 = 0
           AND x.totals_day = (now() AT TIME ZONE 'UTC')::date AND y.totals_day = (now() AT TIME ZONE 'UTC')::date
           AND x.book_id = y.book_id AND x.currency = y.currency AND x.portfolio_id = y.portfolio_id AS passes,
         set_config('ledger.writer', 'on', true) AS writer
    INTO r
    FROM ledger_accounts x, ledger_accounts y,
         LATERAL (SELECT CASE WHEN p_account_1 < p_account_2 THEN p_amount_1 ELSE p_amount_2 END AS x_amount) v
   WHERE x.id = least(p_account_1, p_account_2) AND y.id = greatest(p_account_1, p_account_2) AND x.id <> y.id
     FOR NO KEY UPDATE OF x, y;
  IF NOT coalesce(r.passes, false) THEN
    RETURN (SELECT ARRAY[e.out_portfolio_ids[1], e.out_currencies[1]]
              FROM ledger_post_entries(ARRAY[p_id], ARRAY[p_memo], ARRAY[p_reversal_of], ARRAY[2], ARRAY[1],
                                       ARRAY[1, 1], ARRAY[0, 1], ARRAY[p_account_1, p_account_2],
                                       ARRAY[p_amount_1, p_amount_2]) e);
  END IF;
  -- The postings read the entry's RETURNING and the balance UPDATE waits for the postings, so the
  -- database reports a reused id (ledger_entries_pkey) before a broken floor (the account CHECK,
  -- which names the account and the shortfall), as ledger_post_entries does. Today is both
  -- accounts' latest day (checked above), so the daily totals move in the balance UPDATE.
  WITH e AS (
    INSERT INTO ledger_entries (id, portfolio_id, posting_count, memo)
    VALUES (p_id, r.portfolio_id, 2, p_memo)
    RETURNING id
  ), p AS (
    INSERT INTO ledger_postings (entry_id, posting_count, seq, account_id, book_id, currency, amount_minor)
    SELECT e.id, 2, v.seq, v.account_id, r.book_id, r.currency, v.amount
      FROM e, (VALUES (0, p_account_1, p_amount_1), (1, p_account_2, p_amount_2)) AS v(seq, account_id, amount)
    RETURNING 1
  )
  UPDATE ledger_accounts
     SET debits_posted = debits_posted + CASE WHEN id = r.x_id THEN r.x_debit ELSE r.x_credit END,
         credits_posted = credits_posted + CASE WHEN id = r.x_id THEN r.x_credit ELSE r.x_debit END,
         totals_debits_minor = totals_debits_minor + CASE WHEN id = r.x_id THEN r.x_debit ELSE r.x_credit END,
         totals_credits_minor = totals_credits_minor + CASE WHEN id = r.x_id THEN r.x_credit ELSE r.x_debit END,
         totals_postings = totals_postings + 1
   WHERE id IN (r.x_id, r.y_id) AND EXISTS (SELECT FROM p);
  v_writer := set_config('ledger.writer', '', true);
  RETURN ARRAY[r.portfolio_id, r.currency];
END;
$$;

-- This migration's own writes are done.
SELECT set_config('ledger.writer', '', false);
