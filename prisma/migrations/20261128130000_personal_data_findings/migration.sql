-- Personal data sealed per subject, DSAR and erasure (COMPL-004, COMPL-005), and continuous
-- findings with a status people change (COMPL-006). docs/decisions/0013. Hand-written.

-- ---------------------------------------------------------------------------------------------
-- Data subjects and their keys. The data key is stored wrapped by the master key (AES-256-GCM);
-- erasure nulls wrapped_key and master_key_id, so the subject's sealed fields can never be
-- opened again while every stored event keeps its bytes (the chain still verifies).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE "personal_data_subjects" (
    "subject_id" TEXT NOT NULL,
    "subject_type" TEXT NOT NULL,
    "portfolio_id" TEXT,
    "key_id" TEXT NOT NULL,
    "wrapped_key" BYTEA,
    "master_key_id" TEXT,
    "version" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "last_activity_at" TIMESTAMPTZ(3) NOT NULL,
    "erased_at" TIMESTAMPTZ(3),

    CONSTRAINT "personal_data_subjects_pkey" PRIMARY KEY ("subject_id"),
    CONSTRAINT "personal_data_subjects_type_check" CHECK ("subject_type" IN ('person', 'customer', 'contact')),
    -- A key is either there (and wrapped by a named master key) or erased, never half of it.
    CONSTRAINT "personal_data_subjects_key_check" CHECK (
      ("wrapped_key" IS NOT NULL AND "master_key_id" IS NOT NULL AND "erased_at" IS NULL)
      OR ("wrapped_key" IS NULL AND "master_key_id" IS NULL AND "erased_at" IS NOT NULL))
);
-- The retention job's queue: live subjects by type and last activity.
CREATE INDEX "personal_data_subjects_retention_idx" ON "personal_data_subjects"("subject_type", "last_activity_at")
    WHERE "erased_at" IS NULL;

CREATE TABLE "personal_data_events" (
    "subject_id" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "portfolio_id" TEXT,

    CONSTRAINT "personal_data_events_pkey" PRIMARY KEY ("subject_id", "event_id")
);
CREATE INDEX "personal_data_events_event_id_idx" ON "personal_data_events"("event_id");

CREATE TABLE "personal_data_lookups" (
    "lookup_hash" TEXT NOT NULL,
    "subject_id" TEXT NOT NULL,

    CONSTRAINT "personal_data_lookups_pkey" PRIMARY KEY ("lookup_hash", "subject_id")
);
CREATE INDEX "personal_data_lookups_subject_id_idx" ON "personal_data_lookups"("subject_id");

-- ---------------------------------------------------------------------------------------------
-- Findings: one per problem (dedupe_key), a status people change, a version for its stream.
-- ---------------------------------------------------------------------------------------------
ALTER TABLE "findings"
    ADD COLUMN "dedupe_key" TEXT,
    ADD COLUMN "version" INTEGER NOT NULL DEFAULT 1,
    ADD COLUMN "updated_at" TIMESTAMPTZ(3),
    ADD COLUMN "status_note" TEXT,
    ADD COLUMN "status_changed_by" TEXT;
CREATE UNIQUE INDEX "findings_dedupe_key_key" ON "findings"("dedupe_key") WHERE "dedupe_key" IS NOT NULL;
CREATE INDEX "findings_kind_status_idx" ON "findings"("kind", "status");

CREATE TABLE "compliance_checks" (
    "name" TEXT NOT NULL,
    "cursor_sequence" BIGINT NOT NULL DEFAULT 0,
    "last_run_at" TIMESTAMPTZ(3),
    "last_findings" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "compliance_checks_pkey" PRIMARY KEY ("name")
);

-- ---------------------------------------------------------------------------------------------
-- Erasure scrubs the name the kill-switch row keeps of whoever last paused or resumed it. The row's
-- check (control migration) lets it change only with a new epoch; the one other change allowed
-- is replacing by_name with "[erased]", everything else as it was.
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION venture_check_control_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.by_name = '[erased]'
     AND (NEW.scope, NEW.state, NEW.epoch, NEW.since, NEW.by_type, NEW.by_id, NEW.reason, NEW.updated_at)
         IS NOT DISTINCT FROM (OLD.scope, OLD.state, OLD.epoch, OLD.since, OLD.by_type, OLD.by_id, OLD.reason, OLD.updated_at) THEN
    RETURN NEW;
  END IF;
  IF NEW.scope <> 'global' THEN
    RAISE EXCEPTION 'unknown kill-switch scope %', NEW.scope USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.state NOT IN ('running', 'paused') THEN
    RAISE EXCEPTION 'kill-switch state % is not running or paused', NEW.state USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.epoch < 0 OR (TG_OP = 'UPDATE' AND NEW.epoch <> OLD.epoch + 1) THEN
    RAISE EXCEPTION 'kill-switch epoch must advance by one (% -> %)', OLD.epoch, NEW.epoch
      USING ERRCODE = 'check_violation';
  END IF;
  IF length(btrim(NEW.reason)) = 0 THEN
    RAISE EXCEPTION 'kill-switch change without a reason' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;
