-- Budget transfers between ventures (ADR 0016, ORCH-007): a money intent of category
-- budget_transfer (same id) that moves budget from one venture of a portfolio to another. This table
-- keeps what only a transfer has (its two ventures and reason, and the ledger entry that settled it);
-- its status is the intent's. Written only by the treasury's rebalancing module, in the transaction
-- that appends treasury.budget_transfer_requested / treasury.budget_transfer_settled.

-- CreateTable
CREATE TABLE "treasury_budget_transfers" (
    "intent_id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "from_venture_id" TEXT NOT NULL,
    "to_venture_id" TEXT NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "reason" TEXT NOT NULL,
    "requested_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "entry_id" TEXT,
    "settled_at" TIMESTAMPTZ(3),

    CONSTRAINT "treasury_budget_transfers_pkey" PRIMARY KEY ("intent_id"),
    CONSTRAINT "treasury_budget_transfers_amount_check" CHECK ("amount_minor" > 0),
    CONSTRAINT "treasury_budget_transfers_ventures_check" CHECK ("from_venture_id" <> "to_venture_id")
);

-- CreateIndex
CREATE INDEX "treasury_budget_transfers_portfolio_id_created_at_idx" ON "treasury_budget_transfers"("portfolio_id", "created_at");

-- CreateIndex
CREATE INDEX "treasury_budget_transfers_from_venture_id_created_at_idx" ON "treasury_budget_transfers"("from_venture_id", "created_at");

-- CreateIndex
CREATE INDEX "treasury_budget_transfers_to_venture_id_created_at_idx" ON "treasury_budget_transfers"("to_venture_id", "created_at");
