-- CreateTable
CREATE TABLE "control_state" (
    "scope" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "epoch" INTEGER NOT NULL,
    "since" TIMESTAMPTZ(3) NOT NULL,
    "by_type" TEXT NOT NULL,
    "by_id" TEXT NOT NULL,
    "by_name" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "control_state_pkey" PRIMARY KEY ("scope")
);

-- CreateTable
CREATE TABLE "control_confirmations" (
    "scope" TEXT NOT NULL,
    "epoch" INTEGER NOT NULL,
    "instance_id" TEXT NOT NULL,
    "worker" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "host" TEXT NOT NULL,
    "paused_at" TIMESTAMPTZ(3) NOT NULL,
    "stopped_at" TIMESTAMPTZ(3) NOT NULL,
    "took_ms" DOUBLE PRECISION NOT NULL,
    "terminated" JSONB NOT NULL DEFAULT '{}',
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "control_confirmations_pkey" PRIMARY KEY ("scope","epoch","instance_id")
);


-- ---------------------------------------------------------------------------------------------
-- Written by hand: Prisma does not model these.
-- Row checks are triggers, not CHECK constraints: a CHECK constraint makes the JS/WASM schema
-- engine of Prisma 6.19.3 crash in every later `migrate diff --from-migrations` (ADR 0003).
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION venture_check_control_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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

CREATE TRIGGER control_state_check BEFORE INSERT OR UPDATE ON "control_state"
  FOR EACH ROW EXECUTE FUNCTION venture_check_control_state();

-- The row every assertNotPaused() locks FOR SHARE: it must exist from the start. A missing row
-- makes every caller fail closed, so it is created here rather than on first use.
INSERT INTO "control_state" ("scope", "state", "epoch", "since", "by_type", "by_id", "by_name", "reason", "updated_at")
VALUES ('global', 'running', 0, now(), 'system', 'migration', 'system', 'initial state', now());
