-- Rails, revenue and reconciliation (TREAS-005…009, ADR 0011). Hand-written.

-- Payouts: the work queue and state of paying an approved money intent through a rail. One row per
-- intent (the intent id is also the rail's idempotency key, so a payout is submitted at most once
-- whatever happens to the messages that asked for it). status: submitting (claimed, not yet
-- accepted by the rail) → submitted (the rail has it, reference known) → settled | failed.
CREATE TABLE "treasury_payouts" (
    "intent_id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "venture_id" TEXT NOT NULL,
    "rail" TEXT NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "currency" TEXT NOT NULL,
    "counterparty" TEXT NOT NULL,
    "hold_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "rail_reference" TEXT,
    -- What the rail last told us (pending | paid | failed), by polling or by webhook.
    "rail_status" TEXT,
    -- When the rail created the transaction: both sides of a reconciliation are read by rail time.
    "rail_created_at" TIMESTAMPTZ(3),
    "failure_reason" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    -- When the worker next submits (status submitting) or asks the rail (status submitted).
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "submitted_at" TIMESTAMPTZ(3),
    "settled_at" TIMESTAMPTZ(3),
    CONSTRAINT "treasury_payouts_pkey" PRIMARY KEY ("intent_id")
);
CREATE UNIQUE INDEX "treasury_payouts_rail_reference_key" ON "treasury_payouts"("rail", "rail_reference");
-- The worker's queue: only the open rows, by due time.
CREATE INDEX "treasury_payouts_due_idx" ON "treasury_payouts"("next_attempt_at")
    WHERE "status" IN ('submitting', 'submitted');
CREATE INDEX "treasury_payouts_portfolio_rail_time_idx" ON "treasury_payouts"("portfolio_id", "rail", "rail_created_at");
CREATE INDEX "treasury_payouts_venture_settled_idx" ON "treasury_payouts"("venture_id", "settled_at")
    WHERE "status" = 'settled';

-- Incoming payments posted as revenue; one per rail transaction (a payment intent and its charge
-- are one payment, so Stripe's two events for it land on one row).
CREATE TABLE "treasury_receipts" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "venture_id" TEXT NOT NULL,
    "rail" TEXT NOT NULL,
    "rail_reference" TEXT NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "currency" TEXT NOT NULL,
    "customer" TEXT,
    "entry_id" TEXT NOT NULL,
    "rail_created_at" TIMESTAMPTZ(3) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "treasury_receipts_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "treasury_receipts_rail_reference_key" ON "treasury_receipts"("rail", "rail_reference");
CREATE INDEX "treasury_receipts_portfolio_rail_time_idx" ON "treasury_receipts"("portfolio_id", "rail", "rail_created_at");

-- Webhook deliveries already handled, by the provider's event id: a duplicate delivery finds its
-- row and changes nothing. Operational, like the consumers' inbox.
CREATE TABLE "treasury_webhook_events" (
    "provider" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "treasury_webhook_events_pkey" PRIMARY KEY ("provider", "event_id")
);

-- Reconciliation runs: ledger vs a rail's statement for one portfolio and period. The run's facts
-- are also the treasury.reconciliation_completed event; this is its projection for the UI and API.
CREATE TABLE "treasury_reconciliations" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "rail" TEXT NOT NULL,
    "period_from" TIMESTAMPTZ(3) NOT NULL,
    "period_to" TIMESTAMPTZ(3) NOT NULL,
    -- balanced | breaks | failed (the statement could not be read)
    "status" TEXT NOT NULL,
    "matched" INTEGER NOT NULL,
    "in_transit" INTEGER NOT NULL,
    "mismatch_count" INTEGER NOT NULL,
    "mismatches" JSONB NOT NULL,
    "finding_ids" TEXT[] NOT NULL,
    "frozen" TEXT[] NOT NULL,
    "error" TEXT,
    "trigger" TEXT NOT NULL,
    "requested_by" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "treasury_reconciliations_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "treasury_reconciliations_portfolio_started_idx" ON "treasury_reconciliations"("portfolio_id", "started_at" DESC);

-- The built-in sandbox rail's own books, standing in for a bank: payouts it was asked to make,
-- payments it received, and adjustments (a bank fee, a correction) that only the bank knows about.
-- amount_minor is signed as on a statement: money out negative, money in positive.
CREATE TABLE "sandbox_rail_transactions" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "portfolio_id" TEXT,
    "venture_id" TEXT,
    "amount_minor" BIGINT NOT NULL,
    "currency" TEXT NOT NULL,
    "party" TEXT,
    -- pending | paid | failed (payouts), succeeded (payments, adjustments)
    "status" TEXT NOT NULL,
    -- The outcome a pending payout will have once settle_at passes, and why it fails.
    "outcome" TEXT NOT NULL,
    "failure_reason" TEXT,
    "description" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "settle_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "sandbox_rail_transactions_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "sandbox_rail_transactions_idempotency_key_key" ON "sandbox_rail_transactions"("kind", "idempotency_key");
CREATE INDEX "sandbox_rail_transactions_portfolio_time_idx" ON "sandbox_rail_transactions"("portfolio_id", "created_at");

-- Velocity checks count a venture's recent intents.
CREATE INDEX "money_intents_venture_id_created_at_idx" ON "money_intents"("venture_id", "created_at");
-- The expiry job finds pending intents past their expiry.
CREATE INDEX "money_intents_pending_expiry_idx" ON "money_intents"("expires_at") WHERE "status" = 'pending_approval';
