-- Orchestration (workstreams, tasks, the DAG, venture scheduling settings) and the agent runtime
-- (model calls, tool calls, approvals, workload keys, venture memory). ADR 0009.
-- Generated with prisma migrate diff from the committed migrations to the committed schema files
-- plus orchestration.prisma and agents.prisma; hand-written SQL follows the generated part.

-- AlterTable
ALTER TABLE "ventures" ADD COLUMN     "concurrency_limit" INTEGER NOT NULL DEFAULT 4,
ADD COLUMN     "currency" TEXT NOT NULL DEFAULT 'USD',
ADD COLUMN     "paused" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "weight" INTEGER NOT NULL DEFAULT 1;

-- CreateTable
CREATE TABLE "agent_model_calls" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "venture_id" TEXT NOT NULL,
    "task_id" TEXT NOT NULL,
    "run_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "max_cost_minor" BIGINT NOT NULL,
    "cost_minor" BIGINT NOT NULL DEFAULT 0,
    "input_tokens" INTEGER NOT NULL DEFAULT 0,
    "output_tokens" INTEGER NOT NULL DEFAULT 0,
    "hold_id" TEXT,
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "agent_model_calls_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent_tool_calls" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT,
    "venture_id" TEXT,
    "task_id" TEXT,
    "run_id" TEXT,
    "tool" TEXT NOT NULL,
    "args_hash" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "reason" TEXT,
    "decision" JSONB,
    "cost_minor" BIGINT NOT NULL DEFAULT 0,
    "summary" TEXT NOT NULL,
    "via" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "agent_tool_calls_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent_tool_approvals" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "venture_id" TEXT NOT NULL,
    "task_id" TEXT NOT NULL,
    "tool" TEXT NOT NULL,
    "args_hash" TEXT NOT NULL,
    "args" JSONB NOT NULL,
    "status" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "decided_by" TEXT,
    "decided_at" TIMESTAMPTZ(3),
    "note" TEXT,
    "version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "agent_tool_approvals_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent_workload_keys" (
    "kid" TEXT NOT NULL,
    "public_jwk" JSONB NOT NULL,
    "issuer" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "not_after" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "agent_workload_keys_pkey" PRIMARY KEY ("kid")
);

-- CreateTable
CREATE TABLE "venture_memory" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "venture_id" TEXT NOT NULL,
    "task_id" TEXT,
    "kind" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "search_vector" tsvector,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "venture_memory_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "workstreams" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "venture_id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "goal" TEXT,
    "origin" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "replans" INTEGER NOT NULL DEFAULT 0,
    "correlation_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "workstreams_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tasks" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "venture_id" TEXT NOT NULL,
    "workstream_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "inputs" JSONB NOT NULL,
    "estimated_cost_minor" BIGINT NOT NULL,
    "spend_ceiling_minor" BIGINT NOT NULL,
    "priority" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "paused_from" TEXT,
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "max_attempts" INTEGER NOT NULL,
    "backoff_ms" INTEGER NOT NULL,
    "backoff_max_ms" INTEGER NOT NULL,
    "timeout_ms" INTEGER NOT NULL,
    "deadline_at" TIMESTAMPTZ(3),
    "next_attempt_at" TIMESTAMPTZ(3),
    "run_id" TEXT,
    "dispatched_at" TIMESTAMPTZ(3),
    "started_at" TIMESTAMPTZ(3),
    "lease_expires_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "remaining_deps" INTEGER NOT NULL,
    "result" JSONB,
    "last_error" TEXT,
    "cost_minor" BIGINT NOT NULL DEFAULT 0,
    "input_tokens" INTEGER NOT NULL DEFAULT 0,
    "output_tokens" INTEGER NOT NULL DEFAULT 0,
    "version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "tasks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "task_dependencies" (
    "task_id" TEXT NOT NULL,
    "depends_on_id" TEXT NOT NULL,

    CONSTRAINT "task_dependencies_pkey" PRIMARY KEY ("task_id","depends_on_id")
);

-- CreateIndex
CREATE INDEX "agent_model_calls_task_id_started_at_idx" ON "agent_model_calls"("task_id", "started_at");

-- CreateIndex
CREATE INDEX "agent_model_calls_venture_id_started_at_idx" ON "agent_model_calls"("venture_id", "started_at");

-- CreateIndex
CREATE UNIQUE INDEX "agent_model_calls_run_id_seq_key" ON "agent_model_calls"("run_id", "seq");

-- CreateIndex
CREATE INDEX "agent_tool_calls_task_id_created_at_idx" ON "agent_tool_calls"("task_id", "created_at");

-- CreateIndex
CREATE INDEX "agent_tool_calls_venture_id_created_at_idx" ON "agent_tool_calls"("venture_id", "created_at");

-- CreateIndex
CREATE INDEX "agent_tool_approvals_portfolio_id_status_idx" ON "agent_tool_approvals"("portfolio_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "agent_tool_approvals_task_id_tool_args_hash_key" ON "agent_tool_approvals"("task_id", "tool", "args_hash");

-- CreateIndex
CREATE INDEX "venture_memory_search_vector_idx" ON "venture_memory" USING GIN ("search_vector");

-- CreateIndex
CREATE INDEX "venture_memory_venture_id_created_at_idx" ON "venture_memory"("venture_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "venture_memory_venture_id_task_id_kind_key" ON "venture_memory"("venture_id", "task_id", "kind");

-- CreateIndex
CREATE INDEX "workstreams_venture_id_created_at_idx" ON "workstreams"("venture_id", "created_at");

-- CreateIndex
CREATE INDEX "tasks_status_venture_id_priority_idx" ON "tasks"("status", "venture_id", "priority");

-- CreateIndex
CREATE INDEX "tasks_venture_id_created_at_idx" ON "tasks"("venture_id", "created_at");

-- CreateIndex
CREATE INDEX "tasks_portfolio_id_status_idx" ON "tasks"("portfolio_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "tasks_workstream_id_key_key" ON "tasks"("workstream_id", "key");

-- CreateIndex
CREATE INDEX "task_dependencies_depends_on_id_idx" ON "task_dependencies"("depends_on_id");

-- AddForeignKey
ALTER TABLE "workstreams" ADD CONSTRAINT "workstreams_venture_id_fkey" FOREIGN KEY ("venture_id") REFERENCES "ventures"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_workstream_id_fkey" FOREIGN KEY ("workstream_id") REFERENCES "workstreams"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "task_dependencies" ADD CONSTRAINT "task_dependencies_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "task_dependencies" ADD CONSTRAINT "task_dependencies_depends_on_id_fkey" FOREIGN KEY ("depends_on_id") REFERENCES "tasks"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- ---------------------------------------------------------------------------------------------
-- Hand-written: what Prisma cannot express.
-- ---------------------------------------------------------------------------------------------

-- Venture memory: the search vector follows title and body on every insert and update, so search
-- never reads a stale vector. A trigger rather than a generated column, because Prisma models the
-- column as Unsupported("tsvector") and would otherwise try to drop the generation expression.
CREATE FUNCTION venture_memory_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(NEW.body, '')), 'B');
  RETURN NEW;
END;
$$;
CREATE TRIGGER venture_memory_search_vector BEFORE INSERT OR UPDATE OF title, body ON "venture_memory"
  FOR EACH ROW EXECUTE FUNCTION venture_memory_search_vector();

-- The scheduler's candidates: only tasks that may be dispatched, so the index stays small while
-- finished tasks accumulate.
CREATE INDEX "tasks_dispatchable_idx" ON "tasks" ("venture_id", "priority" DESC, "created_at")
  WHERE status IN ('ready', 'waiting_budget', 'retry_wait');

-- The sweeper's timers: running leases, dispatch and attempt deadlines, retry backoff.
CREATE INDEX "tasks_active_idx" ON "tasks" ("status", "lease_expires_at")
  WHERE status IN ('dispatched', 'running', 'retry_wait', 'pending', 'ready', 'waiting_budget');
