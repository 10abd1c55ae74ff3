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
CREATE TABLE "events" (
    "sequence" BIGINT NOT NULL,
    "id" TEXT NOT NULL,
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
    "prev_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "events_pkey" PRIMARY KEY ("sequence")
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
    "event_sequence" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("event_sequence")
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
CREATE UNIQUE INDEX "events_id_key" ON "events"("id");

-- CreateIndex
CREATE INDEX "events_portfolio_id_sequence_idx" ON "events"("portfolio_id", "sequence");

-- CreateIndex
CREATE INDEX "events_type_sequence_idx" ON "events"("type", "sequence");

-- CreateIndex
CREATE INDEX "events_correlation_id_idx" ON "events"("correlation_id");

-- CreateIndex
CREATE INDEX "events_occurred_at_idx" ON "events"("occurred_at");

-- CreateIndex
CREATE UNIQUE INDEX "events_stream_type_stream_id_stream_version_key" ON "events"("stream_type", "stream_id", "stream_version");

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
ALTER TABLE "ventures" ADD CONSTRAINT "ventures_portfolio_id_fkey" FOREIGN KEY ("portfolio_id") REFERENCES "portfolios"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- ---------------------------------------------------------------------------------------------
-- The event log is append-only. These triggers refuse UPDATE, DELETE and TRUNCATE for every
-- role that has not disabled triggers (only a superuser can), so a change to the stored log
-- needs deliberate tampering, which verification then names.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION venture_refuse_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the event log is append-only: % on events is refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER events_refuse_update_delete BEFORE UPDATE OR DELETE ON "events"
  FOR EACH ROW EXECUTE FUNCTION venture_refuse_log_change();
CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON "events"
  FOR EACH STATEMENT EXECUTE FUNCTION venture_refuse_log_change();

-- The genesis of the chain: sequence 0, a hash of 64 zeros.
INSERT INTO "chain_head" ("id", "sequence", "hash") VALUES (1, 0, repeat('0', 64));

-- ---------------------------------------------------------------------------------------------
-- Append a batch of events. Everything before this call in the transaction runs without the
-- chain lock; the lock on chain_head is taken here and held to commit, so global sequence order
-- is commit order and readers never see a gap that later fills. Each hash is
--   sha256(prev_hash || '|' || sequence || '|' || envelope)
-- over the canonical envelope text built by the caller; server/shared/events/chain.ts computes
-- the same function for verification.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION venture_append_events(
  p_ids text[], p_types text[], p_schema_versions int[], p_stream_types text[],
  p_stream_ids text[], p_stream_versions int[], p_portfolio_ids text[], p_occurred_ats timestamptz[],
  p_actor_types text[], p_actor_ids text[], p_correlation_ids text[], p_envelopes text[]
) RETURNS TABLE (sequence bigint, prev_hash text, hash text) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_seq bigint;
  v_hash text;
  v_prev text;
  i int;
BEGIN
  SELECT h.sequence, h.hash INTO v_seq, v_hash FROM chain_head h WHERE h.id = 1 FOR UPDATE;
  FOR i IN 1 .. coalesce(array_length(p_ids, 1), 0) LOOP
    v_seq := v_seq + 1;
    v_prev := v_hash;
    INSERT INTO events (sequence, id, type, schema_version, stream_type, stream_id, stream_version,
                        portfolio_id, occurred_at, actor_type, actor_id, correlation_id, envelope,
                        prev_hash, hash)
    VALUES (v_seq, p_ids[i], p_types[i], p_schema_versions[i], p_stream_types[i], p_stream_ids[i],
            p_stream_versions[i], p_portfolio_ids[i], p_occurred_ats[i], p_actor_types[i],
            p_actor_ids[i], p_correlation_ids[i], p_envelopes[i], v_hash,
            encode(sha256(convert_to(v_hash || '|' || v_seq::text || '|' || p_envelopes[i], 'UTF8')), 'hex'))
    RETURNING events.hash INTO v_hash;
    INSERT INTO outbox (event_sequence) VALUES (v_seq);
    sequence := v_seq;
    prev_hash := v_prev;
    hash := v_hash;
    RETURN NEXT;
  END LOOP;
  UPDATE chain_head SET sequence = v_seq, hash = v_hash WHERE id = 1;
  PERFORM pg_notify('venture_outbox', v_seq::text);
END;
$$;
