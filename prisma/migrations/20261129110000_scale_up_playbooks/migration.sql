-- Scale-up playbooks (ORCH-008 second half, UJ-6, ADR 0017): a venture's playbook (the latest
-- configured version) and the runs its versions fired. Projections of the orchestration.scale_up_*
-- events, written in the same transaction as the events.

-- CreateTable
CREATE TABLE "scale_up_playbooks" (
    "venture_id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "revenue_threshold_minor" BIGINT NOT NULL,
    "window_days" INTEGER NOT NULL,
    "budget_increase_minor" BIGINT NOT NULL,
    "concurrency_target" INTEGER NOT NULL,
    "configured_by" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "scale_up_playbooks_pkey" PRIMARY KEY ("venture_id"),
    CONSTRAINT "scale_up_playbooks_amounts_check" CHECK ("revenue_threshold_minor" > 0 AND "budget_increase_minor" > 0)
);

-- CreateTable
CREATE TABLE "scale_up_playbook_runs" (
    "id" TEXT NOT NULL,
    "venture_id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "playbook_version" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "intent_id" TEXT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "trailing_revenue_minor" BIGINT NOT NULL,
    "revenue_threshold_minor" BIGINT NOT NULL,
    "window_days" INTEGER NOT NULL,
    "budget_increase_minor" BIGINT NOT NULL,
    "concurrency_before" INTEGER NOT NULL,
    "concurrency_target" INTEGER NOT NULL,
    "concurrency_after" INTEGER,
    "requested_by" TEXT NOT NULL,
    "reason" TEXT,
    "fired_at" TIMESTAMPTZ(3) NOT NULL,
    "decided_at" TIMESTAMPTZ(3),
    "raised_at" TIMESTAMPTZ(3),
    "version" INTEGER NOT NULL,

    CONSTRAINT "scale_up_playbook_runs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "scale_up_playbooks_portfolio_id_idx" ON "scale_up_playbooks"("portfolio_id");

-- CreateIndex
CREATE UNIQUE INDEX "scale_up_playbook_runs_intent_id_key" ON "scale_up_playbook_runs"("intent_id");

-- CreateIndex: each playbook version fires at most once, whatever repeats the check (a restart, a
-- second orchestrator): the firing transaction also locks the playbook row, this is the backstop.
CREATE UNIQUE INDEX "scale_up_playbook_runs_venture_id_playbook_version_key" ON "scale_up_playbook_runs"("venture_id", "playbook_version");

-- CreateIndex
CREATE INDEX "scale_up_playbook_runs_venture_id_fired_at_idx" ON "scale_up_playbook_runs"("venture_id", "fired_at");
