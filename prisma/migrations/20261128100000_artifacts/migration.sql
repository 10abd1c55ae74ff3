-- The artifact compiler (ARTIF-001…007, ADR 0010): artifacts and IR versions, builds with nodes
-- and log, content-addressed outputs and provider responses, the node cache and metered paid
-- provider calls. Hand-written to match prisma/schema/artifacts.prisma.

-- CreateTable
CREATE TABLE "artifacts" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "venture_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "current_version" INTEGER NOT NULL,
    "author_id" TEXT NOT NULL,
    "submitted_by" TEXT,
    "review_build_id" TEXT,
    "approved_by" TEXT,
    "latest_build_id" TEXT,
    "published_build_id" TEXT,
    "published_version" INTEGER,
    "published_path" TEXT,
    "published_by" TEXT,
    "published_at" TIMESTAMPTZ(3),
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "version" INTEGER NOT NULL,

    CONSTRAINT "artifacts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "artifact_versions" (
    "artifact_id" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "ir" JSONB NOT NULL,
    "ir_hash" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "artifact_versions_pkey" PRIMARY KEY ("artifact_id","number")
);

-- CreateTable
CREATE TABLE "artifact_builds" (
    "id" TEXT NOT NULL,
    "artifact_id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "venture_id" TEXT NOT NULL,
    "version_number" INTEGER NOT NULL,
    "ir_hash" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "source_build_id" TEXT,
    "status" TEXT NOT NULL,
    "progress" INTEGER NOT NULL DEFAULT 0,
    "step" TEXT NOT NULL DEFAULT 'queued',
    "build_hash" TEXT,
    "manifest" TEXT,
    "manifest_sha256" TEXT,
    "signature" TEXT,
    "key_id" TEXT,
    "outputs" JSONB,
    "bundle_sha256" TEXT,
    "claims" JSONB,
    "claim_kinds" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "nodes_total" INTEGER NOT NULL DEFAULT 0,
    "nodes_cached" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "failed_node" TEXT,
    "requested_by" TEXT NOT NULL,
    "requested_role" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "started_at" TIMESTAMPTZ(3),
    "heartbeat_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "duration_ms" INTEGER,

    CONSTRAINT "artifact_builds_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "artifact_build_nodes" (
    "build_id" TEXT NOT NULL,
    "node_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "modality" TEXT NOT NULL,
    "node_hash" TEXT NOT NULL,
    "cached" BOOLEAN NOT NULL,
    "provider" TEXT,
    "model" TEXT,
    "prompt" TEXT NOT NULL,
    "request_hash" TEXT,
    "response_hash" TEXT,
    "attempts" JSONB NOT NULL,
    "output" JSONB NOT NULL,
    "duration_ms" INTEGER NOT NULL,

    CONSTRAINT "artifact_build_nodes_pkey" PRIMARY KEY ("build_id","node_id")
);

-- CreateTable
CREATE TABLE "artifact_build_log" (
    "build_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "level" TEXT NOT NULL,
    "message" TEXT NOT NULL,

    CONSTRAINT "artifact_build_log_pkey" PRIMARY KEY ("build_id","seq")
);

-- CreateTable
CREATE TABLE "artifact_blobs" (
    "sha256" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "bytes" BYTEA NOT NULL,
    "size" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "artifact_blobs_pkey" PRIMARY KEY ("sha256")
);

-- CreateTable
CREATE TABLE "artifact_provider_responses" (
    "request_hash" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "modality" TEXT NOT NULL,
    "request" JSONB NOT NULL,
    "response" JSONB NOT NULL,
    "response_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "artifact_provider_responses_pkey" PRIMARY KEY ("request_hash")
);

-- CreateTable
CREATE TABLE "artifact_node_cache" (
    "node_hash" TEXT NOT NULL,
    "modality" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "response_hash" TEXT NOT NULL,
    "output" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "artifact_node_cache_pkey" PRIMARY KEY ("node_hash")
);

-- CreateTable
CREATE TABLE "artifact_provider_calls" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "venture_id" TEXT NOT NULL,
    "artifact_id" TEXT NOT NULL,
    "build_id" TEXT NOT NULL,
    "node_id" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "max_cost_minor" BIGINT NOT NULL,
    "cost_minor" BIGINT NOT NULL DEFAULT 0,
    "hold_id" TEXT,
    "error" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "artifact_provider_calls_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "artifacts_published_path_key" ON "artifacts"("published_path");

-- CreateIndex
CREATE INDEX "artifacts_venture_id_updated_at_idx" ON "artifacts"("venture_id", "updated_at");

-- CreateIndex
CREATE UNIQUE INDEX "artifacts_venture_id_slug_key" ON "artifacts"("venture_id", "slug");

-- CreateIndex
CREATE INDEX "artifact_builds_artifact_id_created_at_idx" ON "artifact_builds"("artifact_id", "created_at");

-- CreateIndex
CREATE INDEX "artifact_builds_status_heartbeat_at_idx" ON "artifact_builds"("status", "heartbeat_at");

-- CreateIndex
CREATE INDEX "artifact_provider_calls_build_id_idx" ON "artifact_provider_calls"("build_id");

-- CreateIndex
CREATE INDEX "artifact_provider_calls_venture_id_started_at_idx" ON "artifact_provider_calls"("venture_id", "started_at");

-- Hand-written: IR versions, blobs and recorded provider responses are content-addressed and
-- immutable. Replays and provenance manifests rely on a hash always naming the same bytes.
CREATE FUNCTION venture_refuse_artifact_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER artifact_versions_append_only BEFORE UPDATE OR DELETE ON "artifact_versions"
  FOR EACH ROW EXECUTE FUNCTION venture_refuse_artifact_record_change();
CREATE TRIGGER artifact_versions_no_truncate BEFORE TRUNCATE ON "artifact_versions"
  FOR EACH STATEMENT EXECUTE FUNCTION venture_refuse_artifact_record_change();
CREATE TRIGGER artifact_blobs_append_only BEFORE UPDATE OR DELETE ON "artifact_blobs"
  FOR EACH ROW EXECUTE FUNCTION venture_refuse_artifact_record_change();
CREATE TRIGGER artifact_blobs_no_truncate BEFORE TRUNCATE ON "artifact_blobs"
  FOR EACH STATEMENT EXECUTE FUNCTION venture_refuse_artifact_record_change();
CREATE TRIGGER artifact_provider_responses_append_only BEFORE UPDATE OR DELETE ON "artifact_provider_responses"
  FOR EACH ROW EXECUTE FUNCTION venture_refuse_artifact_record_change();
CREATE TRIGGER artifact_provider_responses_no_truncate BEFORE TRUNCATE ON "artifact_provider_responses"
  FOR EACH STATEMENT EXECUTE FUNCTION venture_refuse_artifact_record_change();
