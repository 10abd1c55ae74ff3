// Incoming Stripe webhooks (TREAS-008): the signature is checked with stripe.webhooks.constructEvent
// before anything is read (a bad one is 400 and writes nothing); each event is handled once, by its
// Stripe event id (a duplicate delivery answers 200 and changes nothing), in one transaction with
// what it causes:
// - payment_intent.succeeded / charge.succeeded → revenue for the venture named in the metadata
//   (both reports of one payment land on its payment intent, so it is counted once);
// - payout.paid / payout.failed → the payout's rail status is recorded and the worker settles it
//   (settling waits for the kill-switch, the webhook does not);
// - anything else, or a payment naming no venture of ours, is acknowledged and recorded as ignored.
import Stripe from "stripe";
import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { Logger } from "@/server/shared/logger";
import { recordRevenue } from "./record-revenue";

export type WebhookAnswer = { status: number; body: Record<string, unknown> };

const webhookActor = { type: "system" as const, id: "stripe-webhook" };

// The signature check needs no API key; the client is only a holder for `webhooks`.
const verifier = new Stripe("sk_webhook_verification_only");

type Metadata = Record<string, string> | null | undefined;

export async function handleStripeWebhook(options: {
  db: Db;
  secret: string | null;
  rawBody: string;
  signature: string | null;
  log?: Logger;
}): Promise<WebhookAnswer> {
  // Fail closed: without a secret no delivery can be trusted.
  if (!options.secret)
    return { status: 503, body: { error: "Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)" } };
  if (!options.signature) return { status: 400, body: { error: "Missing Stripe-Signature header" } };
  let event: Stripe.Event;
  try {
    event = verifier.webhooks.constructEvent(options.rawBody, options.signature, options.secret);
  } catch (error) {
    return {
      status: 400,
      body: { error: `Invalid Stripe signature: ${error instanceof Error ? error.message : String(error)}` },
    };
  }
  const ctx = { actor: webhookActor, correlationId: `cor_stripe_${event.id}` };
  try {
    return await withTransaction(options.db, async (tx) => {
      const inserted = await tx.$executeRawUnsafe(
        `INSERT INTO treasury_webhook_events (provider, event_id, type, outcome, received_at)
         VALUES ('stripe', $1, $2, 'handling', now()) ON CONFLICT DO NOTHING`,
        event.id,
        event.type,
      );
      if (inserted === 0) return { status: 200, body: { received: true, duplicate: true } };
      const outcome = await handle(tx, ctx, event);
      await tx.$executeRawUnsafe(
        "UPDATE treasury_webhook_events SET outcome = $3 WHERE provider = 'stripe' AND event_id = $1 AND type = $2",
        event.id,
        event.type,
        outcome,
      );
      return { status: 200, body: { received: true, duplicate: false, outcome } };
    });
  } catch (error) {
    // Our failure, not the sender's: Stripe retries non-2xx deliveries, and nothing was committed.
    options.log?.error(
      { eventId: event.id, err: error instanceof Error ? error.message : String(error) },
      "stripe webhook failed",
    );
    const status = error instanceof AppError && error.code === "UNAVAILABLE" ? 503 : 500;
    return { status, body: { error: "The webhook could not be processed; retry later" } };
  }
}

async function handle(
  tx: import("@/server/shared/db").Tx,
  ctx: { actor: typeof webhookActor; correlationId: string },
  event: Stripe.Event,
): Promise<string> {
  switch (event.type) {
    case "payment_intent.succeeded":
    case "charge.succeeded": {
      const object = event.data.object as Stripe.PaymentIntent | Stripe.Charge;
      const metadata = object.metadata as Metadata;
      const ventureId = metadata?.ventureId;
      if (!ventureId) return "ignored: no ventureId in the metadata";
      const reference =
        object.object === "charge"
          ? typeof object.payment_intent === "string"
            ? object.payment_intent
            : (object.payment_intent?.id ?? object.id)
          : object.id;
      const amount =
        object.object === "charge"
          ? object.amount_captured || object.amount
          : object.amount_received || object.amount;
      const [venture] = await tx.$queryRawUnsafe<Array<{ id: string }>>(
        "SELECT id FROM ventures WHERE id = $1",
        ventureId,
      );
      if (!venture) return `ignored: unknown venture ${ventureId}`;
      const customer =
        typeof object.customer === "string"
          ? object.customer
          : (object.customer?.id ?? metadata?.customer ?? null);
      const recorded = await recordRevenue(
        tx,
        { ...ctx, causationId: null },
        {
          rail: "stripe",
          railReference: reference,
          ventureId,
          amountMinor: BigInt(amount),
          currency: object.currency.toUpperCase(),
          customer,
          railCreatedAt: new Date(object.created * 1000),
        },
      );
      return recorded.duplicate
        ? `revenue already recorded (${recorded.receiptId})`
        : `revenue ${recorded.receiptId}`;
    }
    case "payout.paid":
    case "payout.failed":
    case "payout.canceled": {
      const payout = event.data.object as Stripe.Payout;
      const failed = event.type !== "payout.paid";
      const updated = await tx.$executeRawUnsafe(
        `UPDATE treasury_payouts
            SET rail_status = $2, failure_reason = coalesce($3, failure_reason), next_attempt_at = now()
          WHERE rail = 'stripe' AND rail_reference = $1 AND status = 'submitted'`,
        payout.id,
        failed ? "failed" : "paid",
        failed ? (payout.failure_message ?? payout.failure_code ?? `payout ${payout.status}`) : null,
      );
      return updated === 1
        ? `payout ${failed ? "failed" : "paid"}: settling`
        : "ignored: no submitted payout with this id";
    }
    default:
      return "ignored: event type not handled";
  }
}
