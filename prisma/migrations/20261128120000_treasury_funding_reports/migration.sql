-- Treasury funding (deposits, budget allocations), reports and the founder dashboard (ADR 0012).

-- CreateTable
CREATE TABLE "treasury_deposits" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "source" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "entry_id" TEXT NOT NULL,
    "deposited_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "treasury_deposits_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "treasury_deposits_amount_check" CHECK ("amount_minor" > 0)
);

-- CreateTable
CREATE TABLE "treasury_allocations" (
    "intent_id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "venture_id" TEXT NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "reason" TEXT NOT NULL,
    "requested_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "venture_entry_id" TEXT,
    "settled_at" TIMESTAMPTZ(3),

    CONSTRAINT "treasury_allocations_pkey" PRIMARY KEY ("intent_id"),
    CONSTRAINT "treasury_allocations_amount_check" CHECK ("amount_minor" > 0)
);

-- CreateTable
CREATE TABLE "ledger_daily_totals" (
    "account_id" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "debits_minor" BIGINT NOT NULL,
    "credits_minor" BIGINT NOT NULL,
    "postings" INTEGER NOT NULL,

    CONSTRAINT "ledger_daily_totals_pkey" PRIMARY KEY ("account_id","day")
);

-- CreateIndex
CREATE UNIQUE INDEX "treasury_deposits_portfolio_id_idempotency_key_key" ON "treasury_deposits"("portfolio_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "treasury_deposits_portfolio_id_created_at_idx" ON "treasury_deposits"("portfolio_id", "created_at");

-- CreateIndex
CREATE INDEX "treasury_allocations_venture_id_created_at_idx" ON "treasury_allocations"("venture_id", "created_at");

-- CreateIndex
CREATE INDEX "treasury_allocations_portfolio_id_created_at_idx" ON "treasury_allocations"("portfolio_id", "created_at");

-- CreateIndex: the dashboard's activity feed reads a portfolio's newest events, newest first, without
-- scanning the log: an index range scan backwards over (portfolio_id, position) stops after LIMIT rows.
CREATE INDEX "event_log_portfolio_id_position_idx" ON "event_log"("portfolio_id", "position");

-- The dashboard's venture list counts each venture's open tasks: an index-only scan over the open
-- ones (a few percent of all tasks), never the finished ones. Partial, so it is hand-written.
CREATE INDEX "tasks_open_by_portfolio_idx" ON "tasks" ("portfolio_id", "venture_id", "status")
  WHERE status NOT IN ('succeeded', 'cancelled');

-- ---------------------------------------------------------------------------------------------
-- Per-day posting totals of every account, kept by a trigger in the same transaction as the
-- postings (so reports see exactly what the ledger committed, for every writer, raw SQL included).
-- The day is the UTC date of the entry's created_at, so a row is a pure function of immutable
-- entries and postings: reports over a period read at most (accounts x days) rows instead of every
-- posting, and verifyDailyTotals recomputes them from the postings.
--
-- Concurrency: the ledger's write functions lock each account row (in id order) before inserting
-- its postings, so two transactions that touch the same (account, day) row already queue on the
-- account; the upsert below adds no new lock order. Rows are upserted in (account_id, day) order
-- for raw writers that did not lock.
--
-- Like the ledger's other triggers, this one joins by key only (nested loops over the primary
-- keys), so the one generic plan suits a single transfer and a batch of thousands.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION ledger_apply_daily_totals() RETURNS trigger LANGUAGE plpgsql
  SET plan_cache_mode = force_generic_plan SET enable_hashjoin = off SET enable_mergejoin = off AS $$
BEGIN
  INSERT INTO ledger_daily_totals AS t (account_id, day, debits_minor, credits_minor, postings)
  SELECT p.account_id, (e.created_at AT TIME ZONE 'UTC')::date,
         sum(greatest(p.amount_minor, 0))::bigint, sum(greatest(-p.amount_minor, 0))::bigint, count(*)::int
    FROM new_postings p
    JOIN ledger_entries e ON e.id = p.entry_id
   GROUP BY 1, 2
   ORDER BY 1, 2
  ON CONFLICT (account_id, day) DO UPDATE
    SET debits_minor = t.debits_minor + excluded.debits_minor,
        credits_minor = t.credits_minor + excluded.credits_minor,
        postings = t.postings + excluded.postings;
  RETURN NULL;
END;
$$;

-- What was posted before this migration.
INSERT INTO ledger_daily_totals (account_id, day, debits_minor, credits_minor, postings)
SELECT p.account_id, (e.created_at AT TIME ZONE 'UTC')::date,
       sum(greatest(p.amount_minor, 0))::bigint, sum(greatest(-p.amount_minor, 0))::bigint, count(*)::int
  FROM ledger_postings p
  JOIN ledger_entries e ON e.id = p.entry_id
 GROUP BY 1, 2;

-- Named after ledger_postings_apply so it fires second: a refused posting never reaches the totals.
CREATE TRIGGER ledger_postings_daily AFTER INSERT ON "ledger_postings"
  REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_daily_totals();

-- The totals change only through that trigger (depth >= 1), never directly, so a report cannot be
-- made to disagree with the postings by writing to this table.
CREATE FUNCTION ledger_refuse_daily_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger_daily_totals is derived from postings: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER ledger_daily_totals_guard BEFORE INSERT OR UPDATE OR DELETE ON "ledger_daily_totals"
  FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION ledger_refuse_daily_write();
CREATE TRIGGER ledger_daily_totals_no_truncate BEFORE TRUNCATE ON "ledger_daily_totals"
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_daily_write();
