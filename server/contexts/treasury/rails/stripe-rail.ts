// The Stripe rail (TREAS-008) on the official `stripe` package: an approved intent is paid as a
// Stripe payout (idempotency key = the intent id, metadata naming portfolio, venture, intent and
// counterparty); its status comes from the payout (pending / in_transit → pending, paid, failed /
// canceled → failed), by polling or by the payout.paid / payout.failed webhooks; the statement is
// the account's balance transactions with their sources expanded, filtered to the portfolio by the
// source's metadata. Revenue arrives as payment_intent.succeeded / charge.succeeded webhooks
// (stripe-webhook.ts). Tests point the SDK at a local fake (test/fakes/stripe.ts).
import Stripe from "stripe";
import type { PayoutRequest, RailAdapter, RailPayout, StatementLine } from "./rail";
import { RailError } from "./rail";

export type StripeRailSettings = {
  secretKey: string;
  /** Another endpoint than api.stripe.com (a local fake): protocol, host and port are used. */
  apiUrl?: string;
  timeoutMs?: number;
};

export function stripeClient(settings: StripeRailSettings): Stripe {
  const url = settings.apiUrl ? new URL(settings.apiUrl) : null;
  const protocol = url?.protocol === "http:" ? "http" : "https";
  return new Stripe(settings.secretKey, {
    ...(url ? { host: url.hostname, port: url.port || (protocol === "http" ? 80 : 443), protocol } : {}),
    // One attempt per call: retries are ours (the payout queue), with the same idempotency key.
    maxNetworkRetries: 0,
    timeout: settings.timeoutMs ?? 20_000,
    appInfo: { name: "venture-treasury" },
  });
}

/** Stripe amounts are JSON numbers: refuse what a number cannot hold exactly. */
function toStripeAmount(amountMinor: bigint): number {
  if (amountMinor <= 0n || amountMinor > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RailError(`Amount ${amountMinor} cannot be paid through Stripe`, false);
  }
  return Number(amountMinor);
}

function toRailError(error: unknown): RailError {
  if (error instanceof RailError) return error;
  if (error instanceof Stripe.errors.StripeError) {
    const retryable =
      error.type === "StripeConnectionError" ||
      error.type === "StripeAPIError" ||
      error.type === "StripeRateLimitError" ||
      (error.statusCode ?? 0) >= 500;
    return new RailError(`Stripe: ${error.message}`, retryable);
  }
  // Anything else (a timeout in the HTTP client, a reset socket) may not have reached Stripe.
  return new RailError(`Stripe: ${error instanceof Error ? error.message : String(error)}`, true);
}

export function payoutStatusOf(status: string): RailPayout["status"] {
  if (status === "paid") return "paid";
  if (status === "failed" || status === "canceled") return "failed";
  return "pending";
}

export function toRailPayout(payout: Stripe.Payout): RailPayout {
  return {
    reference: payout.id,
    status: payoutStatusOf(payout.status),
    amountMinor: BigInt(payout.amount),
    currency: payout.currency.toUpperCase(),
    failureReason:
      payoutStatusOf(payout.status) === "failed"
        ? (payout.failure_message ?? payout.failure_code ?? `payout ${payout.status}`)
        : null,
    createdAt: new Date(payout.created * 1000),
  };
}

type Source = { id?: string; object?: string; metadata?: Record<string, string>; payment_intent?: unknown };

function sourceOf(transaction: Stripe.BalanceTransaction): Source | null {
  const source = transaction.source as unknown;
  return source && typeof source === "object" ? (source as Source) : null;
}

export function createStripeRail(settings: StripeRailSettings): RailAdapter {
  const stripe = stripeClient(settings);
  return {
    name: "stripe",

    async submitPayout(request: PayoutRequest) {
      try {
        const payout = await stripe.payouts.create(
          {
            amount: toStripeAmount(request.amountMinor),
            currency: request.currency.toLowerCase(),
            description: request.description.slice(0, 200),
            metadata: {
              intentId: request.intentId,
              portfolioId: request.portfolioId,
              ventureId: request.ventureId,
              counterparty: request.counterparty.slice(0, 200),
            },
          },
          { idempotencyKey: `payout:${request.idempotencyKey}` },
        );
        return toRailPayout(payout);
      } catch (error) {
        throw toRailError(error);
      }
    },

    async fetchPayout(reference) {
      try {
        return toRailPayout(await stripe.payouts.retrieve(reference));
      } catch (error) {
        throw toRailError(error);
      }
    },

    async listStatement({ portfolioId, from, to }) {
      const lines: StatementLine[] = [];
      try {
        const list = stripe.balanceTransactions.list({
          created: { gte: Math.floor(from.getTime() / 1000), lt: Math.ceil(to.getTime() / 1000) },
          limit: 100,
          expand: ["data.source"],
        });
        for await (const transaction of list) {
          const source = sourceOf(transaction);
          // Bookings of other portfolios, or of nobody we know, are not this portfolio's statement.
          if (source?.metadata?.portfolioId !== portfolioId) continue;
          const type = transaction.type;
          const kind: StatementLine["kind"] =
            type === "payout" || type === "payout_failure" || type === "payout_cancel"
              ? "payout"
              : type === "charge" || type === "payment"
                ? "payment"
                : "adjustment";
          // A charge belongs to its payment intent, which is what revenue was recorded under.
          const paymentIntent = typeof source.payment_intent === "string" ? source.payment_intent : null;
          lines.push({
            reference:
              kind === "payment"
                ? (paymentIntent ?? source.id ?? transaction.id)
                : kind === "payout"
                  ? (source.id ?? transaction.id)
                  : transaction.id,
            kind,
            amountMinor: BigInt(transaction.amount),
            currency: transaction.currency.toUpperCase(),
            createdAt: new Date(transaction.created * 1000),
            ventureId: source.metadata?.ventureId ?? null,
            intentId: kind === "payout" ? (source.metadata?.intentId ?? null) : null,
            description: transaction.description ?? null,
          });
        }
      } catch (error) {
        throw toRailError(error);
      }
      return lines;
    },
  };
}
