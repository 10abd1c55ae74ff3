-- CreateTable
CREATE TABLE "policy_sets" (
    "portfolio_id" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "active_number" INTEGER,
    "latest_number" INTEGER NOT NULL,
    "stream_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "policy_sets_pkey" PRIMARY KEY ("portfolio_id","scope")
);

-- CreateTable
CREATE TABLE "policy_versions" (
    "portfolio_id" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    "version_hash" TEXT NOT NULL,
    "policy_ids" TEXT[],
    "note" TEXT,
    "created_by_type" TEXT NOT NULL,
    "created_by_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "policy_versions_pkey" PRIMARY KEY ("portfolio_id","scope","number")
);

-- CreateIndex
CREATE INDEX "policy_versions_version_hash_idx" ON "policy_versions"("version_hash");

-- AddForeignKey
ALTER TABLE "policy_sets" ADD CONSTRAINT "policy_sets_portfolio_id_scope_active_number_fkey" FOREIGN KEY ("portfolio_id", "scope", "active_number") REFERENCES "policy_versions"("portfolio_id", "scope", "number") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "policy_versions" ADD CONSTRAINT "policy_versions_portfolio_id_scope_fkey" FOREIGN KEY ("portfolio_id", "scope") REFERENCES "policy_sets"("portfolio_id", "scope") ON DELETE NO ACTION ON UPDATE NO ACTION;


-- ---------------------------------------------------------------------------------------------
-- Written by hand: Prisma does not model these.
-- Row checks are triggers, not CHECK constraints, because a CHECK constraint makes the JS/WASM
-- schema engine of Prisma 6.19.3 crash ("RuntimeError: unreachable") in every later
-- `migrate diff --from-migrations`. They keep a bug in a use-case from storing a version no
-- decision could name.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION venture_check_policy_set() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.scope NOT IN ('treasury', 'tools', 'publishing') THEN
    RAISE EXCEPTION 'unknown policy scope %', NEW.scope USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.active_number IS NOT NULL AND (NEW.active_number < 1 OR NEW.active_number > NEW.latest_number) THEN
    RAISE EXCEPTION 'active policy version % is not between 1 and %', NEW.active_number, NEW.latest_number
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER policy_sets_check BEFORE INSERT OR UPDATE ON "policy_sets"
  FOR EACH ROW EXECUTE FUNCTION venture_check_policy_set();

CREATE FUNCTION venture_check_policy_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.number < 1 OR NEW.version_hash !~ '^[0-9a-f]{64}$' THEN
    RAISE EXCEPTION 'policy version % has number < 1 or a version hash that is not SHA-256 hex', NEW.number
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER policy_versions_check BEFORE INSERT ON "policy_versions"
  FOR EACH ROW EXECUTE FUNCTION venture_check_policy_version();

-- A published version is evidence of which rules were in force: it is never changed or removed.
-- Rolling back publishes the old text again as a new version.
CREATE FUNCTION venture_refuse_policy_version_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'policy versions are immutable: % on policy_versions is refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER policy_versions_refuse_update_delete BEFORE UPDATE OR DELETE ON "policy_versions"
  FOR EACH ROW EXECUTE FUNCTION venture_refuse_policy_version_change();
CREATE TRIGGER policy_versions_refuse_truncate BEFORE TRUNCATE ON "policy_versions"
  FOR EACH STATEMENT EXECUTE FUNCTION venture_refuse_policy_version_change();
