-- Notifications (CTRL-006; docs/decisions/0014): the in-app notification centre and outgoing
-- webhooks with their delivery log. Projections of events, filled by the notifier worker.

-- CreateTable
CREATE TABLE "notifications" (
    "seq" BIGSERIAL NOT NULL,
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "portfolio_id" TEXT,
    "kind" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "link" TEXT,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "read_at" TIMESTAMPTZ(3),

    CONSTRAINT "notifications_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "webhook_endpoints" (
    "id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "event_types" TEXT[],
    "secret" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "disabled_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_endpoints_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" TEXT NOT NULL,
    "endpoint_id" TEXT NOT NULL,
    "portfolio_id" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "max_attempts" INTEGER NOT NULL,
    "next_attempt_at" TIMESTAMPTZ(3),
    "lease_until" TIMESTAMPTZ(3),
    "last_attempt_at" TIMESTAMPTZ(3),
    "last_status_code" INTEGER,
    "last_error" TEXT,
    "delivered_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_delivery_attempts" (
    "delivery_id" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "status_code" INTEGER,
    "error" TEXT,
    "response_snippet" TEXT,

    CONSTRAINT "webhook_delivery_attempts_pkey" PRIMARY KEY ("delivery_id","attempt")
);

-- CreateIndex
CREATE UNIQUE INDEX "notifications_id_key" ON "notifications"("id");

-- CreateIndex
CREATE INDEX "notifications_user_id_seq_idx" ON "notifications"("user_id", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "notifications_user_id_event_id_key" ON "notifications"("user_id", "event_id");

-- CreateIndex
CREATE INDEX "webhook_endpoints_portfolio_id_idx" ON "webhook_endpoints"("portfolio_id");

-- CreateIndex
CREATE INDEX "webhook_deliveries_endpoint_id_created_at_idx" ON "webhook_deliveries"("endpoint_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_deliveries_endpoint_id_event_id_key" ON "webhook_deliveries"("endpoint_id", "event_id");

-- AddForeignKey
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_delivery_attempts" ADD CONSTRAINT "webhook_delivery_attempts_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "webhook_deliveries"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- ---------------------------------------------------------------------------------------------
-- Written by hand: Prisma does not model these.
-- Row checks are triggers, not CHECK constraints: a CHECK constraint makes the JS/WASM schema
-- engine of Prisma 6.19.3 crash in every later `migrate diff --from-migrations` (ADR 0003).
-- ---------------------------------------------------------------------------------------------

-- The bell's unread badge: a person's unread notifications, newest first.
CREATE INDEX "notifications_unread_idx" ON "notifications"("user_id", "seq") WHERE "read_at" IS NULL;

-- The delivery loop's claim: deliveries that are due (pending) or whose sender died (delivering).
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries"("next_attempt_at")
  WHERE "status" IN ('pending', 'delivering');

CREATE FUNCTION venture_check_webhook_endpoint() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status NOT IN ('active', 'disabled') THEN
    RAISE EXCEPTION 'webhook endpoint status % is not active or disabled', NEW.status
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.url !~ '^https?://' THEN
    RAISE EXCEPTION 'webhook endpoint url must be http(s)' USING ERRCODE = 'check_violation';
  END IF;
  IF coalesce(array_length(NEW.event_types, 1), 0) = 0 THEN
    RAISE EXCEPTION 'webhook endpoint without event types' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER webhook_endpoints_check BEFORE INSERT OR UPDATE ON "webhook_endpoints"
  FOR EACH ROW EXECUTE FUNCTION venture_check_webhook_endpoint();

CREATE FUNCTION venture_check_webhook_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status NOT IN ('pending', 'delivering', 'succeeded', 'failed') THEN
    RAISE EXCEPTION 'webhook delivery status % is unknown', NEW.status USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.attempts < 0 OR NEW.attempts > NEW.max_attempts THEN
    RAISE EXCEPTION 'webhook delivery attempts % outside 0..%', NEW.attempts, NEW.max_attempts
      USING ERRCODE = 'check_violation';
  END IF;
  -- A finished delivery stays finished: the log must not be rewritten.
  IF TG_OP = 'UPDATE' AND OLD.status IN ('succeeded', 'failed') AND NEW.status <> OLD.status THEN
    RAISE EXCEPTION 'webhook delivery % is already %', OLD.id, OLD.status USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER webhook_deliveries_check BEFORE INSERT OR UPDATE ON "webhook_deliveries"
  FOR EACH ROW EXECUTE FUNCTION venture_check_webhook_delivery();
