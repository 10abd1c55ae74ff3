-- CreateTable
CREATE TABLE "ledger_accounts" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "venture_id" TEXT,
    "book_id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "kind" TEXT NOT NULL,
    "debits_must_not_exceed_credits" BOOLEAN NOT NULL,
    "credits_must_not_exceed_debits" BOOLEAN NOT NULL,
    "floor_minor" BIGINT NOT NULL,
    "debits_posted" BIGINT NOT NULL DEFAULT 0,
    "credits_posted" BIGINT NOT NULL DEFAULT 0,
    "debits_pending" BIGINT NOT NULL DEFAULT 0,
    "credits_pending" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ledger_entries" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "posting_count" SMALLINT NOT NULL,
    "memo" TEXT,
    "reversal_of" TEXT,
    "hold_id" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_entries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ledger_postings" (
    "entry_id" TEXT NOT NULL,
    "posting_count" SMALLINT NOT NULL,
    "seq" SMALLINT NOT NULL,
    "account_id" TEXT NOT NULL,
    "book_id" TEXT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "amount_minor" BIGINT NOT NULL,

    CONSTRAINT "ledger_postings_pkey" PRIMARY KEY ("entry_id","seq")
);

-- CreateTable
CREATE TABLE "ledger_holds" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "book_id" TEXT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "debit_account_id" TEXT NOT NULL,
    "credit_account_id" TEXT NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,
    "memo" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_holds_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ledger_hold_resolutions" (
    "hold_id" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "posted_minor" BIGINT NOT NULL,
    "resolved_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_hold_resolutions_pkey" PRIMARY KEY ("hold_id")
);

-- CreateTable
CREATE TABLE "ledger_open_holds" (
    "hold_id" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "ledger_open_holds_pkey" PRIMARY KEY ("hold_id")
);

-- CreateIndex
CREATE INDEX "ledger_accounts_portfolio_id_idx" ON "ledger_accounts"("portfolio_id");

-- CreateIndex
CREATE INDEX "ledger_accounts_venture_id_idx" ON "ledger_accounts"("venture_id");

-- CreateIndex
CREATE UNIQUE INDEX "ledger_accounts_id_book_id_currency_key" ON "ledger_accounts"("id", "book_id", "currency");

-- CreateIndex
CREATE UNIQUE INDEX "ledger_entries_id_posting_count_key" ON "ledger_entries"("id", "posting_count");

-- CreateIndex
CREATE INDEX "ledger_postings_account_id_idx" ON "ledger_postings"("account_id");

-- CreateIndex
CREATE INDEX "ledger_holds_debit_account_id_idx" ON "ledger_holds"("debit_account_id");

-- CreateIndex
CREATE INDEX "ledger_holds_credit_account_id_idx" ON "ledger_holds"("credit_account_id");

-- CreateIndex
CREATE INDEX "ledger_open_holds_expires_at_idx" ON "ledger_open_holds"("expires_at");

-- AddForeignKey
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_reversal_of_fkey" FOREIGN KEY ("reversal_of") REFERENCES "ledger_entries"("id") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_hold_id_fkey" FOREIGN KEY ("hold_id") REFERENCES "ledger_holds"("id") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "ledger_postings" ADD CONSTRAINT "ledger_postings_entry_id_posting_count_fkey" FOREIGN KEY ("entry_id", "posting_count") REFERENCES "ledger_entries"("id", "posting_count") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "ledger_postings" ADD CONSTRAINT "ledger_postings_account_id_book_id_currency_fkey" FOREIGN KEY ("account_id", "book_id", "currency") REFERENCES "ledger_accounts"("id", "book_id", "currency") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "ledger_holds" ADD CONSTRAINT "ledger_holds_debit_account_id_book_id_currency_fkey" FOREIGN KEY ("debit_account_id", "book_id", "currency") REFERENCES "ledger_accounts"("id", "book_id", "currency") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "ledger_holds" ADD CONSTRAINT "ledger_holds_credit_account_id_book_id_currency_fkey" FOREIGN KEY ("credit_account_id", "book_id", "currency") REFERENCES "ledger_accounts"("id", "book_id", "currency") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "ledger_hold_resolutions" ADD CONSTRAINT "ledger_hold_resolutions_hold_id_fkey" FOREIGN KEY ("hold_id") REFERENCES "ledger_holds"("id") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- =============================================================================================
-- Hand-written: the ledger's invariants, enforced by the database (ADR 0004).
--
-- Everything below holds for any writer, including raw SQL that bypasses the TypeScript module:
--   * an entry has >= 2 postings that balance per book and currency (deferred check at commit);
--   * entries, postings, holds and resolutions are immutable; accounts cannot be deleted;
--   * balances on the account row are maintained by triggers from postings, holds and hold
--     resolutions, and cannot be written directly, so they always equal the sum of those rows;
--   * a CHECK refuses any balance that breaks the account's flag and floor, under any concurrency;
--   * a hold resolves at most once (primary key of ledger_hold_resolutions), and its expiry is
--     judged by the database clock.
-- The ledger_* functions at the end are the module's write path: one round trip per call, the
-- accounts locked in id order first. Refusals a caller can act on are raised as
-- 'ledger refused: {json}' (SQLSTATE LR001), naming the account, hold and shortfall; a broken
-- invariant is 'ledger invariant: ...' (check_violation).
--
-- Every function here runs with plan_cache_mode = force_generic_plan: their statements take
-- arrays whose length the planner cannot know, so custom plans are no better than the generic one
-- and re-planning them on every call costs more than the statements themselves. Their plans look
-- rows up by key, so one generic plan suits a single transfer and a batch alike.
-- =============================================================================================

-- One CHECK on the account row, for its balances: PostgreSQL evaluates every CHECK of a table on
-- every UPDATE, and the balance UPDATE runs on every transfer. TigerBeetle's flags with a floor:
-- pending debits count against a credit balance (and pending credits against a debit balance),
-- incoming pending amounts never help, and available never goes below the floor, whatever the
-- caller does. The account's other attributes never change after it opens (a trigger refuses
-- direct updates), so they are checked once, on insert, by ledger_check_new_account below.
ALTER TABLE "ledger_accounts"
  ADD CONSTRAINT "ledger_accounts_floor_check" CHECK (
    debits_posted >= 0 AND credits_posted >= 0 AND debits_pending >= 0 AND credits_pending >= 0
    AND (NOT debits_must_not_exceed_credits OR credits_posted - debits_posted - debits_pending >= floor_minor)
    AND (NOT credits_must_not_exceed_debits OR debits_posted - credits_posted - credits_pending >= floor_minor));

-- Balance updates are HOT (no index entry) only when the row's page has room for the new version.
ALTER TABLE "ledger_accounts" SET (fillfactor = 50);

ALTER TABLE "ledger_entries"
  ADD CONSTRAINT "ledger_entries_check"
    CHECK (posting_count >= 2 AND reversal_of IS DISTINCT FROM id AND (reversal_of IS NULL OR hold_id IS NULL));

-- At most one reversal per entry and one settling entry per hold. Partial, so the ordinary entry
-- (both null) costs nothing here; Prisma cannot declare partial indexes and leaves them alone.
CREATE UNIQUE INDEX "ledger_entries_reversal_of_key" ON "ledger_entries" ("reversal_of") WHERE "reversal_of" IS NOT NULL;
CREATE UNIQUE INDEX "ledger_entries_hold_id_key" ON "ledger_entries" ("hold_id") WHERE "hold_id" IS NOT NULL;

-- With posting_count copied from the entry (composite foreign key), seq bounds the number of
-- postings an entry can ever have: nobody can add a posting to a committed entry.
ALTER TABLE "ledger_postings"
  ADD CONSTRAINT "ledger_postings_check" CHECK (amount_minor <> 0 AND seq >= 0 AND seq < posting_count);

ALTER TABLE "ledger_holds"
  ADD CONSTRAINT "ledger_holds_check" CHECK (amount_minor > 0 AND debit_account_id <> credit_account_id);

ALTER TABLE "ledger_hold_resolutions"
  ADD CONSTRAINT "ledger_hold_resolutions_outcome_check"
    CHECK ((outcome = 'posted' AND posted_minor > 0) OR (outcome IN ('voided', 'expired') AND posted_minor = 0));

-- ---------------------------------------------------------------------------------------------
-- Immutability. Corrections are reversing entries; accounts live forever (TigerBeetle).
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger records are immutable: % on % is refused (correct with a reversing entry)',
    TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON "ledger_entries"
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON "ledger_entries"
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_postings_immutable BEFORE UPDATE OR DELETE ON "ledger_postings"
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON "ledger_postings"
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_holds_immutable BEFORE UPDATE OR DELETE ON "ledger_holds"
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_holds_no_truncate BEFORE TRUNCATE ON "ledger_holds"
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_hold_resolutions_immutable BEFORE UPDATE OR DELETE ON "ledger_hold_resolutions"
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_hold_resolutions_no_truncate BEFORE TRUNCATE ON "ledger_hold_resolutions"
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON "ledger_accounts"
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON "ledger_accounts"
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- Account rows change only through the ledger's own triggers (trigger depth >= 1): a direct
-- UPDATE, even of a balance, is refused, so a balance cannot drift from its postings and holds.
-- The WHEN clause keeps the ledger's own path free of this trigger's cost.
CREATE FUNCTION ledger_refuse_account_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger account %: % refused; balances move only through entries and holds',
    NEW.id, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER ledger_accounts_no_direct_update BEFORE UPDATE ON "ledger_accounts"
  FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION ledger_refuse_account_write();
CREATE FUNCTION ledger_check_new_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.debits_posted <> 0 OR NEW.credits_posted <> 0 OR NEW.debits_pending <> 0 OR NEW.credits_pending <> 0 THEN
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

CREATE TRIGGER ledger_accounts_check_new BEFORE INSERT ON "ledger_accounts"
  FOR EACH ROW EXECUTE FUNCTION ledger_check_new_account();

-- The open-holds queue is derived from holds and resolutions; only the ledger's triggers write it.
CREATE FUNCTION ledger_refuse_queue_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger_open_holds is maintained by the ledger''s triggers: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER ledger_open_holds_guard BEFORE INSERT OR UPDATE OR DELETE ON "ledger_open_holds"
  FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION ledger_refuse_queue_write();
CREATE TRIGGER ledger_open_holds_no_truncate BEFORE TRUNCATE ON "ledger_open_holds"
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_queue_write();

-- ---------------------------------------------------------------------------------------------
-- Balances follow the rows that justify them, one UPDATE per statement (transition tables), so a
-- batch of a thousand postings updates each account once. These trigger functions join only by
-- primary key, so hash and merge joins are switched off: a generic plan made for a 2,000-row batch
-- would otherwise scan every account for a single transfer later in the same session. The ledger functions have already
-- locked these rows in id order; a raw writer that has not may deadlock, never drift.
--
-- Each UPDATE skips the rows that would break a flag and floor, then compares counts: when one
-- was skipped it names that account and the shortfall (LR001) instead of letting the CHECK
-- answer with a bare constraint name, for the module and raw writers alike. The CHECK stays as
-- the last word.
-- ---------------------------------------------------------------------------------------------

-- Describes the first account (by id) in a set of balance changes that would go below its floor.
CREATE FUNCTION ledger_floor_refusal(
  p_ids text[], p_debits_posted bigint[], p_credits_posted bigint[], p_debits_pending bigint[], p_credits_pending bigint[]
) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
           'reason', 'below_floor', 'accountId', a.id, 'currency', a.currency::text, 'floorMinor', a.floor_minor::text,
           'availableMinor', (CASE WHEN a.debits_must_not_exceed_credits
                                   THEN a.credits_posted - a.debits_posted - a.debits_pending
                                   ELSE a.debits_posted - a.credits_posted - a.credits_pending END)::text,
           'changeMinor', (CASE WHEN a.debits_must_not_exceed_credits
                                THEN d.cp - d.dp - d.dq ELSE d.dp - d.cp - d.cq END)::text)
    FROM unnest(p_ids, p_debits_posted, p_credits_posted, p_debits_pending, p_credits_pending) AS d(id, dp, cp, dq, cq)
    JOIN ledger_accounts a ON a.id = d.id
   WHERE (a.debits_must_not_exceed_credits
          AND a.credits_posted + d.cp - a.debits_posted - d.dp - a.debits_pending - d.dq < a.floor_minor)
      OR (a.credits_must_not_exceed_debits
          AND a.debits_posted + d.dp - a.credits_posted - d.cp - a.credits_pending - d.cq < a.floor_minor)
   ORDER BY a.id
   LIMIT 1
$$;

-- Adds the postings of one INSERT statement to their accounts: one UPDATE, skipping any account
-- that would break its flag and floor, and then naming it (with the shortfall) if one was skipped.
CREATE FUNCTION ledger_apply_postings() RETURNS trigger LANGUAGE plpgsql
  SET plan_cache_mode = force_generic_plan SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
  v_want bigint;
  v_got bigint;
  v_ids text[];
  v_debits bigint[];
  v_credits bigint[];
  v_zeros bigint[];
BEGIN
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
  RETURN NULL;
END;
$$;

CREATE TRIGGER ledger_postings_apply AFTER INSERT ON "ledger_postings"
  REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_postings();

CREATE FUNCTION ledger_apply_holds() RETURNS trigger LANGUAGE plpgsql
  SET plan_cache_mode = force_generic_plan SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
  v_stale record;
  v_want bigint;
  v_got bigint;
  v_ids text[];
  v_debits bigint[];
  v_credits bigint[];
  v_zeros bigint[];
BEGIN
  SELECT id, expires_at INTO v_stale FROM new_holds WHERE expires_at <= now() LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'LR001', MESSAGE = 'ledger refused: ' || jsonb_build_object(
      'reason', 'expiry_not_future', 'holdId', v_stale.id, 'expiresAt', v_stale.expires_at, 'now', now())::text;
  END IF;
  WITH d AS MATERIALIZED (
    SELECT account_id AS id, sum(dq)::bigint AS dq, sum(cq)::bigint AS cq
      FROM (SELECT debit_account_id AS account_id, amount_minor AS dq, 0::bigint AS cq FROM new_holds
            UNION ALL
            SELECT credit_account_id, 0::bigint, amount_minor FROM new_holds) x
     GROUP BY account_id
  ), u AS (
    UPDATE ledger_accounts a
       SET debits_pending = a.debits_pending + d.dq, credits_pending = a.credits_pending + d.cq
      FROM d
     WHERE a.id = d.id
       AND (NOT a.debits_must_not_exceed_credits
            OR a.credits_posted - a.debits_posted - a.debits_pending - d.dq >= a.floor_minor)
       AND (NOT a.credits_must_not_exceed_debits
            OR a.debits_posted - a.credits_posted - a.credits_pending - d.cq >= a.floor_minor)
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM u) INTO v_want, v_got;
  IF v_got < v_want THEN
    SELECT array_agg(account_id), array_agg(dq), array_agg(cq), array_agg(0::bigint)
      INTO v_ids, v_debits, v_credits, v_zeros
      FROM (SELECT account_id, sum(dq)::bigint AS dq, sum(cq)::bigint AS cq
              FROM (SELECT debit_account_id AS account_id, amount_minor AS dq, 0::bigint AS cq FROM new_holds
                    UNION ALL
                    SELECT credit_account_id, 0::bigint, amount_minor FROM new_holds) x
             GROUP BY account_id) y;
    RAISE EXCEPTION USING ERRCODE = 'LR001', MESSAGE = 'ledger refused: ' || coalesce(
      ledger_floor_refusal(v_ids, v_zeros, v_zeros, v_debits, v_credits)::text, '{"reason": "below_floor"}');
  END IF;
  INSERT INTO ledger_open_holds (hold_id, expires_at) SELECT id, expires_at FROM new_holds;
  RETURN NULL;
END;
$$;

CREATE TRIGGER ledger_holds_apply AFTER INSERT ON "ledger_holds"
  REFERENCING NEW TABLE AS new_holds FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_holds();

-- A resolution releases the whole held amount from pending; a posted hold's entry (inserted after
-- the resolution) then adds the posted part to posted, so the flagged side never even momentarily
-- counts both. Expiry is judged here by the database clock: before expires_at a hold can be posted
-- or voided, from expires_at on it can only expire.
CREATE FUNCTION ledger_apply_resolutions() RETURNS trigger LANGUAGE plpgsql
  SET plan_cache_mode = force_generic_plan SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
  v_bad record;
BEGIN
  SELECT r.hold_id, r.outcome, r.posted_minor, h.amount_minor, h.expires_at INTO v_bad
    FROM new_resolutions r JOIN ledger_holds h ON h.id = r.hold_id
   WHERE (r.outcome = 'expired') <> (h.expires_at <= now()) OR r.posted_minor > h.amount_minor
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger invariant: hold % cannot resolve as % (posted %, held %, expires %, now %)',
      v_bad.hold_id, v_bad.outcome, v_bad.posted_minor, v_bad.amount_minor, v_bad.expires_at, now()
      USING ERRCODE = 'check_violation';
  END IF;
  -- Releasing only lowers pending amounts, which can never break a flag and floor.
  UPDATE ledger_accounts a
     SET debits_pending = a.debits_pending - d.dq, credits_pending = a.credits_pending - d.cq
    FROM (SELECT account_id, sum(dq)::bigint AS dq, sum(cq)::bigint AS cq
            FROM (SELECT h.debit_account_id AS account_id, h.amount_minor AS dq, 0::bigint AS cq
                    FROM new_resolutions r JOIN ledger_holds h ON h.id = r.hold_id
                  UNION ALL
                  SELECT h.credit_account_id, 0::bigint, h.amount_minor
                    FROM new_resolutions r JOIN ledger_holds h ON h.id = r.hold_id) x
           GROUP BY account_id) d
   WHERE a.id = d.account_id;
  DELETE FROM ledger_open_holds o USING new_resolutions r WHERE o.hold_id = r.hold_id;
  RETURN NULL;
END;
$$;

CREATE TRIGGER ledger_hold_resolutions_apply AFTER INSERT ON "ledger_hold_resolutions"
  REFERENCING NEW TABLE AS new_resolutions FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_resolutions();

-- ---------------------------------------------------------------------------------------------
-- Checked at commit (deferred), once per entry: the declared number of postings is there, every
-- book and currency sums to zero, a reversal is the exact negation of its original, and a hold's
-- settlement posts exactly the resolved amount between the hold's two accounts.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  v_count int;
  v_sum numeric;
  v_several boolean;
  v_unbalanced text;
  v_hold record;
BEGIN
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

CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON "ledger_entries"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry();

-- A hold resolved as posted must have its settling entry by commit; otherwise the released amount
-- would vanish from pending without reaching posted.
CREATE FUNCTION ledger_check_settlement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM ledger_entries WHERE hold_id = NEW.hold_id) THEN
    RAISE EXCEPTION 'ledger invariant: hold % resolved as posted without a settling entry', NEW.hold_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER ledger_hold_resolutions_settled AFTER INSERT ON "ledger_hold_resolutions"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.outcome = 'posted')
  EXECUTE FUNCTION ledger_check_settlement();

-- ---------------------------------------------------------------------------------------------
-- The write path. Each function first locks every account it touches, in id order, in the same
-- statement that reads what its checks need (FOR NO KEY UPDATE: the postings' foreign-key checks
-- still pass), so two calls over the same accounts queue instead of deadlocking, and the checks
-- see balances no one else can change before commit.
-- ---------------------------------------------------------------------------------------------

-- Posts a batch of entries atomically. Postings arrive flattened in entry order: posting i belongs
-- to entry p_posting_entry[i] (1-based) with sequence number p_posting_seq[i]; p_counts[e] is the
-- number of postings of entry e and p_first[e] the index of its first posting. Returns each
-- posting's portfolio and currency. A reused entry id fails on the primary key (the caller maps
-- it to CONFLICT); flags and floors are judged by the postings trigger on the batch's net effect
-- per account.
CREATE FUNCTION ledger_post_entries(
  p_entry_ids text[], p_memos text[], p_reversal_ofs text[], p_counts int[], p_first int[],
  p_posting_entry int[], p_posting_seq int[], p_account_ids text[], p_amounts bigint[],
  OUT out_portfolio_ids text[], OUT out_currencies text[]
) LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  v_books text[];
  v_refusal jsonb;
  v_ids text[];
  v_abooks text[];
  v_acurrencies text[];
  v_aportfolios text[];
  v_n int := cardinality(p_account_ids);
  i int;
  j int;
  k int;
  v_sum bigint;
BEGIN
  IF v_n <= 16 THEN
    -- A small call (one entry, a few postings: the common case) decides in PL/pgSQL over the
    -- locked rows; starting a set-based plan for two rows costs more than the work itself.
    SELECT array_agg(id), array_agg(book_id), array_agg(currency), array_agg(portfolio_id)
      INTO v_ids, v_abooks, v_acurrencies, v_aportfolios
      FROM (SELECT id, book_id, currency::text AS currency, portfolio_id FROM ledger_accounts
             WHERE id = ANY (p_account_ids) ORDER BY id FOR NO KEY UPDATE) a;
    FOR i IN 1 .. v_n LOOP
      j := array_position(v_ids, p_account_ids[i]);
      IF j IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'LR001', MESSAGE = 'ledger refused: ' || jsonb_build_object(
          'reason', 'unknown_account', 'entryId', p_entry_ids[p_posting_entry[i]], 'accountId', p_account_ids[i], 'index', i)::text;
      END IF;
      v_books[i] := v_abooks[j];
      out_currencies[i] := v_acurrencies[j];
      out_portfolio_ids[i] := v_aportfolios[j];
    END LOOP;
    FOR i IN 1 .. v_n LOOP
      -- The first posting of each (entry, book, currency) sums its group.
      k := 0;
      FOR j IN 1 .. i - 1 LOOP
        IF p_posting_entry[j] = p_posting_entry[i] AND v_books[j] = v_books[i] AND out_currencies[j] = out_currencies[i] THEN
          k := j;
          EXIT;
        END IF;
      END LOOP;
      CONTINUE WHEN k > 0;
      v_sum := 0;
      FOR j IN i .. v_n LOOP
        IF p_posting_entry[j] = p_posting_entry[i] AND v_books[j] = v_books[i] AND out_currencies[j] = out_currencies[i] THEN
          v_sum := v_sum + p_amounts[j];
        END IF;
      END LOOP;
      IF v_sum <> 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'LR001', MESSAGE = 'ledger refused: ' || jsonb_build_object(
          'reason', 'unbalanced', 'entryId', p_entry_ids[p_posting_entry[i]], 'bookId', v_books[i],
          'currency', out_currencies[i], 'sumMinor', v_sum::text)::text;
      END IF;
    END LOOP;
    FOR i IN 1 .. v_n LOOP
      IF out_portfolio_ids[i] <> out_portfolio_ids[p_first[p_posting_entry[i]]] THEN
        RAISE EXCEPTION USING ERRCODE = 'LR001', MESSAGE = 'ledger refused: ' || jsonb_build_object(
          'reason', 'mixed_portfolios', 'entryId', p_entry_ids[p_posting_entry[i]])::text;
      END IF;
    END LOOP;
  ELSE
    -- A batch decides set-based: lock, read and check in one statement.
    WITH p AS MATERIALIZED (
      SELECT t.e, t.ord, t.amount, a.id IS NULL AS unknown, a.book_id, a.currency, a.portfolio_id
        FROM unnest(p_posting_entry, p_account_ids, p_amounts) WITH ORDINALITY AS t(e, account_id, amount, ord)
        LEFT JOIN (SELECT id, book_id, currency::text AS currency, portfolio_id FROM ledger_accounts
                    WHERE id = ANY (p_account_ids) ORDER BY id FOR NO KEY UPDATE) a ON a.id = t.account_id
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
  END IF;

  INSERT INTO ledger_entries (id, portfolio_id, posting_count, memo, reversal_of)
  SELECT e.id, out_portfolio_ids[e.first_idx], e.n, e.memo, e.reversal_of
    FROM unnest(p_entry_ids, p_memos, p_reversal_ofs, p_counts, p_first) AS e(id, memo, reversal_of, n, first_idx);

  INSERT INTO ledger_postings (entry_id, posting_count, seq, account_id, book_id, currency, amount_minor)
  SELECT p_entry_ids[t.e], p_counts[t.e], t.seq, t.account_id, v_books[t.ord], out_currencies[t.ord], t.amount
    FROM unnest(p_posting_entry, p_posting_seq, p_account_ids, p_amounts) WITH ORDINALITY AS t(e, seq, account_id, amount, ord);
END;
$$;

-- Places holds (pending transfers) atomically: each reserves its amount as debits_pending on its
-- debit account and credits_pending on its credit account; the holds trigger refuses a flagged
-- account going below its floor, and an expiry that is not in the future by the database clock.
CREATE FUNCTION ledger_place_holds(
  p_ids text[], p_debit_ids text[], p_credit_ids text[], p_amounts bigint[], p_expires_ats timestamptz[],
  p_memos text[]
) RETURNS TABLE (out_portfolio_ids text[], out_book_ids text[], out_currencies text[])
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  v_books text[];
  v_currencies text[];
  v_portfolios text[];
  v_unknown_debit bigint;
  v_unknown_credit bigint;
  v_mismatch bigint;
BEGIN
  WITH locked AS (
    SELECT id, book_id, currency::text AS currency, portfolio_id FROM ledger_accounts
     WHERE id = ANY (p_debit_ids || p_credit_ids) ORDER BY id FOR NO KEY UPDATE
  )
  SELECT array_agg(da.book_id ORDER BY t.ord), array_agg(da.currency ORDER BY t.ord),
         array_agg(da.portfolio_id ORDER BY t.ord),
         min(t.ord) FILTER (WHERE da.id IS NULL), min(t.ord) FILTER (WHERE ca.id IS NULL),
         min(t.ord) FILTER (WHERE da.book_id <> ca.book_id OR da.currency <> ca.currency)
    INTO v_books, v_currencies, v_portfolios, v_unknown_debit, v_unknown_credit, v_mismatch
    FROM unnest(p_debit_ids, p_credit_ids) WITH ORDINALITY AS t(debit_id, credit_id, ord)
    LEFT JOIN locked da ON da.id = t.debit_id
    LEFT JOIN locked ca ON ca.id = t.credit_id;

  IF v_unknown_debit IS NOT NULL OR v_unknown_credit IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'LR001', MESSAGE = 'ledger refused: ' || jsonb_build_object(
      'reason', 'unknown_account',
      'holdId', p_ids[coalesce(v_unknown_debit, v_unknown_credit)],
      'accountId', CASE WHEN v_unknown_debit IS NOT NULL THEN p_debit_ids[v_unknown_debit] ELSE p_credit_ids[v_unknown_credit] END,
      'side', CASE WHEN v_unknown_debit IS NOT NULL THEN 'debit' ELSE 'credit' END)::text;
  END IF;
  IF v_mismatch IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'LR001', MESSAGE = 'ledger refused: ' || jsonb_build_object(
      'reason', 'hold_ledger_mismatch', 'holdId', p_ids[v_mismatch],
      'debitAccountId', p_debit_ids[v_mismatch], 'creditAccountId', p_credit_ids[v_mismatch])::text;
  END IF;

  INSERT INTO ledger_holds (id, portfolio_id, book_id, currency, debit_account_id, credit_account_id, amount_minor,
                            expires_at, memo)
  SELECT t.id, v_portfolios[t.ord], v_books[t.ord], v_currencies[t.ord], t.debit_id, t.credit_id, t.amount,
         t.expires_at, t.memo
    FROM unnest(p_ids, p_debit_ids, p_credit_ids, p_amounts, p_expires_ats, p_memos)
           WITH ORDINALITY AS t(id, debit_id, credit_id, amount, expires_at, memo, ord);

  RETURN QUERY SELECT v_portfolios, v_books, v_currencies;
END;
$$;

-- Posts (p_outcome 'posted', p_amount null = the full amount) or voids ('voided') one hold. The
-- remainder of a partial post is released. Refused when the hold is unknown, already resolved,
-- expired by the database clock, or asked to post more than it holds.
CREATE FUNCTION ledger_resolve_hold(
  p_hold_id text, p_outcome text, p_amount bigint, p_entry_id text, p_memo text
) RETURNS TABLE (
  out_portfolio_id text, out_book_id text, out_currency text, out_debit_account_id text,
  out_credit_account_id text, out_amount text, out_posted text, out_expires_at timestamptz
) LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  h ledger_holds;
  v_outcome text;
  v_posted bigint := 0;
BEGIN
  IF p_outcome NOT IN ('posted', 'voided') THEN
    RAISE EXCEPTION 'ledger_resolve_hold: outcome must be posted or voided, not %', p_outcome;
  END IF;
  SELECT * INTO h FROM ledger_holds WHERE id = p_hold_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'LR001',
      MESSAGE = 'ledger refused: ' || jsonb_build_object('reason', 'unknown_hold', 'holdId', p_hold_id)::text;
  END IF;

  PERFORM 1 FROM ledger_accounts WHERE id IN (h.debit_account_id, h.credit_account_id) ORDER BY id FOR NO KEY UPDATE;

  -- With both accounts locked no other resolver of this hold can be between its check and its
  -- write, and this statement's fresh snapshot sees any resolver that committed while we waited.
  SELECT outcome INTO v_outcome FROM ledger_hold_resolutions WHERE hold_id = h.id;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'LR001', MESSAGE = 'ledger refused: '
      || jsonb_build_object('reason', 'hold_resolved', 'holdId', h.id, 'outcome', v_outcome)::text;
  END IF;
  IF h.expires_at <= now() THEN
    RAISE EXCEPTION USING ERRCODE = 'LR001', MESSAGE = 'ledger refused: '
      || jsonb_build_object('reason', 'hold_expired', 'holdId', h.id, 'expiresAt', h.expires_at, 'now', now())::text;
  END IF;
  IF p_outcome = 'posted' THEN
    v_posted := coalesce(p_amount, h.amount_minor);
    IF v_posted <= 0 OR v_posted > h.amount_minor THEN
      RAISE EXCEPTION USING ERRCODE = 'LR001', MESSAGE = 'ledger refused: '
        || jsonb_build_object('reason', 'exceeds_hold', 'holdId', h.id, 'heldMinor', h.amount_minor::text,
                              'requestedMinor', v_posted::text)::text;
    END IF;
  END IF;

  INSERT INTO ledger_hold_resolutions (hold_id, outcome, posted_minor) VALUES (h.id, p_outcome, v_posted);
  IF p_outcome = 'posted' THEN
    INSERT INTO ledger_entries (id, portfolio_id, posting_count, memo, hold_id)
    VALUES (p_entry_id, h.portfolio_id, 2, p_memo, h.id);
    INSERT INTO ledger_postings (entry_id, posting_count, seq, account_id, book_id, currency, amount_minor)
    VALUES (p_entry_id, 2, 0, h.debit_account_id, h.book_id, h.currency, v_posted),
           (p_entry_id, 2, 1, h.credit_account_id, h.book_id, h.currency, -v_posted);
  END IF;

  RETURN QUERY SELECT h.portfolio_id, h.book_id, h.currency::text, h.debit_account_id, h.credit_account_id,
                      h.amount_minor::text, v_posted::text, h.expires_at;
END;
$$;

-- Expires up to p_limit holds whose expires_at has passed by the database clock, oldest first.
-- Safe to run from several workers at once: the account locks serialize them, and a hold another
-- worker (or a post or void) resolved meanwhile is no longer in the queue when we re-read it.
CREATE FUNCTION ledger_expire_holds(p_limit int) RETURNS TABLE (
  out_hold_id text, out_portfolio_id text, out_book_id text, out_currency text, out_debit_account_id text,
  out_credit_account_id text, out_amount text, out_expires_at timestamptz
) LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  v_ids text[];
BEGIN
  SELECT array_agg(o.hold_id) INTO v_ids
    FROM (SELECT hold_id FROM ledger_open_holds WHERE expires_at <= now() ORDER BY expires_at, hold_id LIMIT p_limit) o;
  IF v_ids IS NULL THEN
    RETURN;
  END IF;

  PERFORM 1 FROM ledger_accounts
   WHERE id IN (SELECT debit_account_id FROM ledger_holds WHERE id = ANY (v_ids)
                UNION SELECT credit_account_id FROM ledger_holds WHERE id = ANY (v_ids))
   ORDER BY id FOR NO KEY UPDATE;

  RETURN QUERY
  WITH r AS (
    INSERT INTO ledger_hold_resolutions (hold_id, outcome, posted_minor)
    SELECT o.hold_id, 'expired', 0 FROM ledger_open_holds o WHERE o.hold_id = ANY (v_ids)
    ON CONFLICT (hold_id) DO NOTHING
    RETURNING hold_id
  )
  SELECT h.id, h.portfolio_id, h.book_id, h.currency::text, h.debit_account_id, h.credit_account_id,
         h.amount_minor::text, h.expires_at
    FROM r JOIN ledger_holds h ON h.id = r.hold_id
   ORDER BY h.expires_at, h.id;
END;
$$;
