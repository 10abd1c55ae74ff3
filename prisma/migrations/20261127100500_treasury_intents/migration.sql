-- CreateTable
CREATE TABLE "money_intents" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "venture_id" TEXT NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "currency" TEXT NOT NULL,
    "counterparty" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "requested_by" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "approvals_required" INTEGER NOT NULL,
    "reasons" TEXT[],
    "decision" JSONB NOT NULL,
    "hold_id" TEXT,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "decided_at" TIMESTAMPTZ(3),
    "decided_by" TEXT,
    "decision_note" TEXT,
    "version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "money_intents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "money_intent_approvals" (
    "intent_id" TEXT NOT NULL,
    "approver_id" TEXT NOT NULL,
    "note" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "money_intent_approvals_pkey" PRIMARY KEY ("intent_id","approver_id")
);

-- CreateTable
CREATE TABLE "treasury_freezes" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "venture_id" TEXT,
    "reason" TEXT NOT NULL,
    "frozen_by" TEXT NOT NULL,
    "frozen_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "treasury_freezes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "treasury_counterparties" (
    "venture_id" TEXT NOT NULL,
    "counterparty_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "treasury_counterparties_pkey" PRIMARY KEY ("venture_id","counterparty_id")
);

-- CreateIndex
CREATE INDEX "money_intents_portfolio_id_status_created_at_idx" ON "money_intents"("portfolio_id", "status", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "money_intents_portfolio_id_idempotency_key_key" ON "money_intents"("portfolio_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "treasury_freezes_portfolio_id_idx" ON "treasury_freezes"("portfolio_id");
