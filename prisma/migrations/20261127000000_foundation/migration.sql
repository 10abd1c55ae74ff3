-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "password_hash" TEXT,
    "version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "memberships" (
    "user_id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "granted_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "memberships_pkey" PRIMARY KEY ("user_id","portfolio_id")
);

-- CreateTable
CREATE TABLE "api_tokens" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "event_log" (
    "id" TEXT NOT NULL,
    "position" BIGSERIAL NOT NULL,
    "type" TEXT NOT NULL,
    "schema_version" INTEGER NOT NULL,
    "stream_type" TEXT NOT NULL,
    "stream_id" TEXT NOT NULL,
    "stream_version" INTEGER NOT NULL,
    "portfolio_id" TEXT,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "actor_type" TEXT NOT NULL,
    "actor_id" TEXT NOT NULL,
    "correlation_id" TEXT NOT NULL,
    "envelope" TEXT NOT NULL,

    CONSTRAINT "event_log_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "event_chain" (
    "sequence" BIGINT NOT NULL,
    "event_id" TEXT NOT NULL,
    "prev_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "sealed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "event_chain_pkey" PRIMARY KEY ("sequence")
);

-- CreateTable
CREATE TABLE "chain_head" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "sequence" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "chain_head_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "outbox" (
    "position" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("position")
);

-- CreateTable
CREATE TABLE "relay_cursors" (
    "name" TEXT NOT NULL,
    "sequence" BIGINT NOT NULL,

    CONSTRAINT "relay_cursors_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "inbox" (
    "consumer" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "handled_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbox_pkey" PRIMARY KEY ("consumer","event_id")
);

-- CreateTable
CREATE TABLE "worker_heartbeats" (
    "instance_id" TEXT NOT NULL,
    "worker" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "host" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "beat_at" TIMESTAMPTZ(3) NOT NULL,
    "stats" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "worker_heartbeats_pkey" PRIMARY KEY ("instance_id")
);

-- CreateTable
CREATE TABLE "portfolios" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "portfolios_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ventures" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "goal" TEXT,
    "stage" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "provisioned_at" TIMESTAMPTZ(3),

    CONSTRAINT "ventures_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE UNIQUE INDEX "api_tokens_secret_hash_key" ON "api_tokens"("secret_hash");

-- CreateIndex
CREATE UNIQUE INDEX "event_log_position_key" ON "event_log"("position");

-- CreateIndex
CREATE INDEX "event_log_portfolio_id_idx" ON "event_log"("portfolio_id");

-- CreateIndex
CREATE INDEX "event_log_type_idx" ON "event_log"("type");

-- CreateIndex
CREATE INDEX "event_log_correlation_id_idx" ON "event_log"("correlation_id");

-- CreateIndex
CREATE INDEX "event_log_occurred_at_idx" ON "event_log"("occurred_at");

-- CreateIndex
CREATE UNIQUE INDEX "event_log_stream_type_stream_id_stream_version_key" ON "event_log"("stream_type", "stream_id", "stream_version");

-- CreateIndex
CREATE UNIQUE INDEX "event_chain_event_id_key" ON "event_chain"("event_id");

-- CreateIndex
CREATE INDEX "worker_heartbeats_worker_idx" ON "worker_heartbeats"("worker");

-- CreateIndex
CREATE UNIQUE INDEX "ventures_portfolio_id_slug_key" ON "ventures"("portfolio_id", "slug");

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_portfolio_id_fkey" FOREIGN KEY ("portfolio_id") REFERENCES "portfolios"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "event_chain" ADD CONSTRAINT "event_chain_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "event_log"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ventures" ADD CONSTRAINT "ventures_portfolio_id_fkey" FOREIGN KEY ("portfolio_id") REFERENCES "portfolios"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- ---------------------------------------------------------------------------------------------
-- The event log is append-only. These triggers refuse UPDATE, DELETE and TRUNCATE on the events
-- and on their chain for every role that has not disabled triggers (only a superuser can), so a
-- change to the stored log needs deliberate tampering, which verification then names.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION venture_refuse_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the event log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER event_log_refuse_update_delete BEFORE UPDATE OR DELETE ON "event_log"
  FOR EACH ROW EXECUTE FUNCTION venture_refuse_log_change();
CREATE TRIGGER event_log_refuse_truncate BEFORE TRUNCATE ON "event_log"
  FOR EACH STATEMENT EXECUTE FUNCTION venture_refuse_log_change();
CREATE TRIGGER event_chain_refuse_update_delete BEFORE UPDATE OR DELETE ON "event_chain"
  FOR EACH ROW EXECUTE FUNCTION venture_refuse_log_change();
CREATE TRIGGER event_chain_refuse_truncate BEFORE TRUNCATE ON "event_chain"
  FOR EACH STATEMENT EXECUTE FUNCTION venture_refuse_log_change();

-- The genesis of the chain: sequence 0, a hash of 64 zeros; the relay's publish cursor at 0.
INSERT INTO "chain_head" ("id", "sequence", "hash") VALUES (1, 0, repeat('0', 64));
INSERT INTO "relay_cursors" ("name", "sequence") VALUES ('jetstream', 0);

-- Sealed events in chain order: what every reader of the log uses.
CREATE VIEW "events" AS
  SELECT c.sequence, e.id, e.type, e.schema_version, e.stream_type, e.stream_id, e.stream_version,
         e.portfolio_id, e.occurred_at, e.actor_type, e.actor_id, e.correlation_id, e.envelope,
         c.prev_hash, c.hash, c.sealed_at, e.position
    FROM event_chain c JOIN event_log e ON e.id = c.event_id;

-- ---------------------------------------------------------------------------------------------
-- Append a batch of events inside the caller's transaction: the rows, one outbox row each, and a
-- notification for the sealer (delivered on commit). No global lock: appends from every process
-- run concurrently and share group commit.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION venture_append_events(
  p_ids text[], p_types text[], p_schema_versions int[], p_stream_types text[],
  p_stream_ids text[], p_stream_versions int[], p_portfolio_ids text[], p_occurred_ats timestamptz[],
  p_actor_types text[], p_actor_ids text[], p_correlation_ids text[], p_envelopes text[]
) RETURNS SETOF bigint LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY
    WITH inserted AS (
      INSERT INTO event_log (id, type, schema_version, stream_type, stream_id, stream_version, portfolio_id,
                             occurred_at, actor_type, actor_id, correlation_id, envelope)
      SELECT * FROM unnest(p_ids, p_types, p_schema_versions, p_stream_types, p_stream_ids, p_stream_versions,
                           p_portfolio_ids, p_occurred_ats, p_actor_types, p_actor_ids, p_correlation_ids,
                           p_envelopes)
      RETURNING event_log.position
    ), queued AS (
      INSERT INTO outbox (position) SELECT inserted.position FROM inserted RETURNING outbox.position
    )
    SELECT queued.position FROM queued ORDER BY queued.position;
  PERFORM pg_notify('venture_outbox', '');
END;
$$;

-- ---------------------------------------------------------------------------------------------
-- Seal committed events into the hash chain, oldest append first. One sealer at a time (an
-- advisory lock; another caller returns 0 at once). Each hash is
--   sha256(prev_hash || '|' || sequence || '|' || envelope)
-- which server/shared/events/chain.ts computes the same way for verification. Because one
-- transaction assigns consecutive sequences and commits them together, the chain has no gaps
-- and readers of the `events` view never see sequence N+1 before N.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION venture_seal_events(p_limit int) RETURNS int LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_seq bigint;
  v_hash text;
  v_prev text;
  v_count int := 0;
  v_positions bigint[];
  r record;
BEGIN
  IF NOT pg_try_advisory_xact_lock(7140111) THEN
    RETURN 0;
  END IF;
  WITH claimed AS (
    DELETE FROM outbox WHERE position IN (SELECT position FROM outbox ORDER BY position LIMIT p_limit)
    RETURNING position
  )
  SELECT array_agg(position) INTO v_positions FROM claimed;
  IF v_positions IS NULL THEN
    RETURN 0;
  END IF;
  SELECT h.sequence, h.hash INTO v_seq, v_hash FROM chain_head h WHERE h.id = 1 FOR UPDATE;
  FOR r IN SELECT e.id, e.envelope FROM event_log e WHERE e.position = ANY(v_positions) ORDER BY e.position LOOP
    v_seq := v_seq + 1;
    v_prev := v_hash;
    v_hash := encode(sha256(convert_to(v_prev || '|' || v_seq::text || '|' || r.envelope, 'UTF8')), 'hex');
    INSERT INTO event_chain (sequence, event_id, prev_hash, hash) VALUES (v_seq, r.id, v_prev, v_hash);
    v_count := v_count + 1;
  END LOOP;
  UPDATE chain_head SET sequence = v_seq, hash = v_hash WHERE id = 1;
  RETURN v_count;
END;
$$;
