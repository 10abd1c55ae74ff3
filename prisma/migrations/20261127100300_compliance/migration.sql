-- Compliance (COMPL-002, COMPL-003; docs/decisions/0008): audit keyring, signed checkpoints,
-- verification runs, evidence-pack builds and findings.

-- CreateTable
CREATE TABLE "audit_keys" (
    "key_id" TEXT NOT NULL,
    "algorithm" TEXT NOT NULL,
    "public_key_pem" TEXT NOT NULL,
    "valid_from" TIMESTAMPTZ(3) NOT NULL,
    "valid_to" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_keys_pkey" PRIMARY KEY ("key_id")
);

-- CreateTable
CREATE TABLE "audit_checkpoints" (
    "sequence" BIGINT NOT NULL,
    "head_hash" TEXT NOT NULL,
    "signed_at" TIMESTAMPTZ(3) NOT NULL,
    "key_id" TEXT NOT NULL,
    "signature" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_checkpoints_pkey" PRIMARY KEY ("sequence")
);

-- CreateTable
CREATE TABLE "audit_verifications" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT,
    "trigger" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "phase" TEXT,
    "total_events" INTEGER NOT NULL DEFAULT 0,
    "checked_events" INTEGER NOT NULL DEFAULT 0,
    "checked_checkpoints" INTEGER NOT NULL DEFAULT 0,
    "first_bad_sequence" BIGINT,
    "reason" TEXT,
    "message" TEXT,
    "sources" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "requested_by_type" TEXT NOT NULL,
    "requested_by_id" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lease_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "audit_verifications_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "evidence_packs" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "period_from" TIMESTAMPTZ(3) NOT NULL,
    "period_to" TIMESTAMPTZ(3) NOT NULL,
    "status" TEXT NOT NULL,
    "phase" TEXT,
    "events_total" INTEGER NOT NULL DEFAULT 0,
    "events_written" INTEGER NOT NULL DEFAULT 0,
    "covered_portfolios" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "first_sequence" BIGINT,
    "last_sequence" BIGINT,
    "file_name" TEXT,
    "file_path" TEXT,
    "bytes" BIGINT,
    "sha256" TEXT,
    "manifest_sha256" TEXT,
    "key_id" TEXT,
    "error" TEXT,
    "requested_by_type" TEXT NOT NULL,
    "requested_by_id" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lease_until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "evidence_packs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "findings" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT,
    "severity" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "detail" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "owner" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "findings_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "audit_checkpoints_signed_at_idx" ON "audit_checkpoints"("signed_at");

-- CreateIndex
CREATE INDEX "audit_verifications_status_created_at_idx" ON "audit_verifications"("status", "created_at");

-- CreateIndex
CREATE INDEX "audit_verifications_portfolio_id_created_at_idx" ON "audit_verifications"("portfolio_id", "created_at");

-- CreateIndex
CREATE INDEX "evidence_packs_status_created_at_idx" ON "evidence_packs"("status", "created_at");

-- CreateIndex
CREATE INDEX "evidence_packs_portfolio_id_created_at_idx" ON "evidence_packs"("portfolio_id", "created_at");

-- CreateIndex
CREATE INDEX "findings_status_created_at_idx" ON "findings"("status", "created_at");

-- CreateIndex
CREATE INDEX "findings_portfolio_id_created_at_idx" ON "findings"("portfolio_id", "created_at");

-- AddForeignKey
ALTER TABLE "audit_checkpoints" ADD CONSTRAINT "audit_checkpoints_key_id_fkey" FOREIGN KEY ("key_id") REFERENCES "audit_keys"("key_id") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- ---------------------------------------------------------------------------------------------
-- Closed lists, checked where every writer passes.
-- ---------------------------------------------------------------------------------------------
ALTER TABLE "audit_keys" ADD CONSTRAINT "audit_keys_algorithm_check" CHECK ("algorithm" = 'ed25519');
ALTER TABLE "audit_keys" ADD CONSTRAINT "audit_keys_validity_check"
  CHECK ("valid_to" IS NULL OR "valid_to" >= "valid_from");
ALTER TABLE "audit_checkpoints" ADD CONSTRAINT "audit_checkpoints_head_hash_check"
  CHECK ("sequence" >= 0 AND "head_hash" ~ '^[0-9a-f]{64}$');
ALTER TABLE "audit_verifications" ADD CONSTRAINT "audit_verifications_status_check"
  CHECK ("status" IN ('queued', 'running', 'passed', 'failed', 'error'));
ALTER TABLE "audit_verifications" ADD CONSTRAINT "audit_verifications_trigger_check"
  CHECK ("trigger" IN ('requested', 'scheduled'));
ALTER TABLE "evidence_packs" ADD CONSTRAINT "evidence_packs_status_check"
  CHECK ("status" IN ('queued', 'building', 'ready', 'failed'));
ALTER TABLE "evidence_packs" ADD CONSTRAINT "evidence_packs_period_check" CHECK ("period_to" > "period_from");
ALTER TABLE "findings" ADD CONSTRAINT "findings_severity_check"
  CHECK ("severity" IN ('critical', 'high', 'medium', 'low'));
ALTER TABLE "findings" ADD CONSTRAINT "findings_status_check"
  CHECK ("status" IN ('open', 'acknowledged', 'resolved'));

-- ---------------------------------------------------------------------------------------------
-- Signed checkpoints are append-only like the log they sign: UPDATE, DELETE and TRUNCATE are
-- refused for every role that has not disabled triggers. Verification also compares them with
-- their copies outside the database, so a superuser who edits them is still named.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION venture_refuse_checkpoint_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'signed checkpoints are append-only: % on % is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_checkpoints_refuse_update_delete BEFORE UPDATE OR DELETE ON "audit_checkpoints"
  FOR EACH ROW EXECUTE FUNCTION venture_refuse_checkpoint_change();
CREATE TRIGGER audit_checkpoints_refuse_truncate BEFORE TRUNCATE ON "audit_checkpoints"
  FOR EACH STATEMENT EXECUTE FUNCTION venture_refuse_checkpoint_change();

-- A published public key is never removed or replaced (old checkpoints and packs name it); the
-- only change allowed is setting the end of its validity once, when it is rotated out.
CREATE FUNCTION venture_guard_audit_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND OLD.valid_to IS NULL AND NEW.valid_to IS NOT NULL
     AND NEW.key_id = OLD.key_id AND NEW.algorithm = OLD.algorithm
     AND NEW.public_key_pem = OLD.public_key_pem AND NEW.valid_from = OLD.valid_from
     AND NEW.created_at = OLD.created_at THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit keys are immutable apart from retiring them once: % on audit_keys is refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_keys_guard_update_delete BEFORE UPDATE OR DELETE ON "audit_keys"
  FOR EACH ROW EXECUTE FUNCTION venture_guard_audit_key();
CREATE TRIGGER audit_keys_refuse_truncate BEFORE TRUNCATE ON "audit_keys"
  FOR EACH STATEMENT EXECUTE FUNCTION venture_refuse_checkpoint_change();
