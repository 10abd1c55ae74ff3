// A fake of the subset of Stripe's API the treasury uses (STYLE 20: a local server that speaks the
// real API, so the official `stripe` SDK runs unchanged against it): form-encoded requests with
// Bearer auth and Idempotency-Key; payouts (create, retrieve), payment intents (create with
// confirm: succeed at once, with their charge), balance transactions (list with created ranges,
// cursor pagination and expand[]=data.source) and Stripe-shaped errors. Webhook events are built
// and signed with Stripe's scheme (Stripe-Signature: t=<unix>,v1=<HMAC-SHA256 of "t.payload">)
// for tests to deliver; payouts settle when a test says so.
import { createHmac, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

type StripeObject = Record<string, unknown> & { id: string; object: string; created: number };

export type FakeStripeEvent = StripeObject & { type: string; data: { object: StripeObject } };

export type FakeStripe = {
  url: string;
  secretKey: string;
  webhookSecret: string;
  requests: Array<{
    method: string;
    path: string;
    idempotencyKey: string | null;
    body: Record<string, unknown>;
  }>;
  payouts: Map<string, StripeObject>;
  /** Every event the fake generated, oldest first (for payments made through the SDK). */
  events: FakeStripeEvent[];
  /** Stripe answers the next n requests to this path prefix with this error. */
  failNext(pathPrefix: string, status: number, times?: number): void;
  /** Moves a payout to paid or failed (with a payout_failure balance transaction) and returns its event. */
  settlePayout(id: string, outcome: "paid" | "failed", failureMessage?: string): FakeStripeEvent;
  /** A customer's payment succeeds: a payment intent, its charge, a balance transaction, two events. */
  succeedPayment(options: {
    amount: number;
    currency: string;
    metadata: Record<string, string>;
    customer?: string;
  }): { paymentIntent: StripeObject; events: FakeStripeEvent[] };
  /** The Stripe-Signature header for a payload (secret: the webhook secret, or another to forge). */
  sign(payload: string, options?: { secret?: string; timestamp?: number }): string;
  /** The raw body and signature header of a delivery, as Stripe would POST it. */
  delivery(event: FakeStripeEvent, options?: { secret?: string }): { body: string; signature: string };
  close(): Promise<void>;
};

const now = () => Math.floor(Date.now() / 1000);
const stripeId = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;

/** Parses Stripe's form encoding (a[b]=c, a[]=x, a[0]=x) into nested objects and arrays. */
export function parseForm(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const parts = rawKey.replace(/\]/g, "").split("[");
    let node = out as Record<string, unknown>;
    for (let i = 0; i < parts.length; i++) {
      const key = parts[i]!;
      const last = i === parts.length - 1;
      if (last) {
        if (key === "" || /^\d+$/.test(key)) {
          const list = Array.isArray(node.__list) ? node.__list : [];
          list.push(value);
          node.__list = list;
        } else node[key] = value;
      } else {
        node[key] ??= {};
        node = node[key] as Record<string, unknown>;
      }
    }
  }
  const fold = (value: unknown): unknown => {
    if (!value || typeof value !== "object") return value;
    const record = value as Record<string, unknown>;
    if (Array.isArray(record.__list)) return record.__list;
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fold(v)]));
  };
  return fold(out) as Record<string, unknown>;
}

function error(status: number, message: string, type = "invalid_request_error", code?: string) {
  return { status, body: { error: { type, message, ...(code ? { code } : {}) } } };
}

export async function startFakeStripe(): Promise<FakeStripe> {
  const secretKey = `sk_test_${randomBytes(8).toString("hex")}`;
  const webhookSecret = `whsec_${randomBytes(16).toString("hex")}`;
  const payouts = new Map<string, StripeObject>();
  const charges = new Map<string, StripeObject>();
  const paymentIntents = new Map<string, StripeObject>();
  const balanceTransactions: StripeObject[] = [];
  const idempotent = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  const failures: Array<{ prefix: string; status: number; left: number }> = [];
  const requests: FakeStripe["requests"] = [];
  const events: FakeStripeEvent[] = [];
  let sequence = 0;

  const addBalanceTransaction = (type: string, amount: number, currency: string, source: string) => {
    const created = now();
    balanceTransactions.push({
      id: stripeId("txn"),
      object: "balance_transaction",
      amount,
      currency,
      created,
      available_on: created,
      description: null,
      fee: 0,
      fee_details: [],
      net: amount,
      reporting_category: type,
      source,
      status: "available",
      type,
      // Creation order within one second, for stable newest-first listing.
      _seq: ++sequence,
    });
  };

  const sourceOf = (id: string): StripeObject | string =>
    payouts.get(id) ?? charges.get(id) ?? paymentIntents.get(id) ?? id;

  const event = (type: string, object: StripeObject): FakeStripeEvent => {
    const made: FakeStripeEvent = {
      id: stripeId("evt"),
      object: "event",
      api_version: "2026-10-28.endive",
      created: now(),
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
      data: { object: structuredClone(object) },
    };
    events.push(made);
    return made;
  };

  const route = (method: string, path: string, body: Record<string, unknown>, query: URLSearchParams) => {
    if (method === "POST" && path === "/v1/payouts") {
      const amount = Number(body.amount);
      if (!Number.isInteger(amount) || amount <= 0)
        return error(400, "Invalid positive integer", "invalid_request_error", "parameter_invalid_integer");
      if (typeof body.currency !== "string")
        return error(400, "Missing required param: currency.", "invalid_request_error", "parameter_missing");
      const payout: StripeObject = {
        id: stripeId("po"),
        object: "payout",
        amount,
        arrival_date: now() + 86_400,
        automatic: false,
        balance_transaction: null,
        created: now(),
        currency: body.currency,
        description: body.description ?? null,
        destination: null,
        failure_balance_transaction: null,
        failure_code: null,
        failure_message: null,
        livemode: false,
        metadata: body.metadata ?? {},
        method: "standard",
        source_type: "card",
        statement_descriptor: null,
        status: "pending",
        type: "bank_account",
      };
      payouts.set(payout.id, payout);
      addBalanceTransaction("payout", -amount, String(body.currency), payout.id);
      return { status: 200, body: payout };
    }
    const payoutMatch = /^\/v1\/payouts\/([^/]+)$/.exec(path);
    if (method === "GET" && payoutMatch) {
      const payout = payouts.get(payoutMatch[1]!);
      return payout
        ? { status: 200, body: payout }
        : error(404, `No such payout: '${payoutMatch[1]}'`, "invalid_request_error", "resource_missing");
    }
    if (method === "POST" && path === "/v1/payment_intents") {
      const amount = Number(body.amount);
      if (!Number.isInteger(amount) || amount <= 0)
        return error(400, "Invalid positive integer", "invalid_request_error", "parameter_invalid_integer");
      const created = fake.succeedPayment({
        amount,
        currency: String(body.currency),
        metadata: (body.metadata ?? {}) as Record<string, string>,
        ...(typeof body.customer === "string" ? { customer: body.customer } : {}),
      });
      return { status: 200, body: created.paymentIntent };
    }
    if (method === "GET" && path === "/v1/balance_transactions") {
      const gte = Number(query.get("created[gte]") ?? Number.NEGATIVE_INFINITY);
      const lt = Number(query.get("created[lt]") ?? Number.POSITIVE_INFINITY);
      const limit = Math.min(Number(query.get("limit") ?? 10), 100);
      const after = query.get("starting_after");
      const expandSource = [...query.entries()].some(
        ([k, v]) => k.startsWith("expand") && v === "data.source",
      );
      // Newest first, as Stripe lists.
      let list = balanceTransactions
        .filter((t) => t.created >= gte && t.created < lt)
        .sort((a, b) => b.created - a.created || Number(b._seq) - Number(a._seq));
      if (after) {
        const index = list.findIndex((t) => t.id === after);
        list = index >= 0 ? list.slice(index + 1) : [];
      }
      const page = list.slice(0, limit).map(({ _seq, ...t }) => ({
        ...t,
        source: expandSource ? sourceOf(String(t.source)) : t.source,
      }));
      return {
        status: 200,
        body: { object: "list", data: page, has_more: list.length > limit, url: "/v1/balance_transactions" },
      };
    }
    return error(404, `Unrecognized request URL (${method}: ${path}).`);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const text = Buffer.concat(chunks).toString("utf8");
      const body = parseForm(text);
      const idempotencyKey = (req.headers["idempotency-key"] as string | undefined) ?? null;
      requests.push({ method: req.method ?? "", path: url.pathname, idempotencyKey, body });
      const send = (status: number, payload: unknown) =>
        res
          .writeHead(status, { "content-type": "application/json", "request-id": stripeId("req") })
          .end(JSON.stringify(payload));
      if (req.headers.authorization !== `Bearer ${secretKey}`) {
        send(401, { error: { type: "invalid_request_error", message: "Invalid API Key provided" } });
        return;
      }
      const failure = failures.find((f) => url.pathname.startsWith(f.prefix) && f.left > 0);
      if (failure) {
        failure.left--;
        send(failure.status, {
          error: {
            type: failure.status >= 500 ? "api_error" : "invalid_request_error",
            message: `Simulated ${failure.status}`,
          },
        });
        return;
      }
      if (req.method === "POST" && idempotencyKey) {
        const fingerprint = `${url.pathname}?${text}`;
        const seen = idempotent.get(idempotencyKey);
        if (seen) {
          if (seen.fingerprint !== fingerprint) {
            send(400, {
              error: {
                type: "idempotency_error",
                message:
                  "Keys for idempotent requests can only be used with the same parameters they were first used with.",
              },
            });
            return;
          }
          res.setHeader("idempotent-replayed", "true");
          send(seen.status, seen.body);
          return;
        }
        const answer = route(req.method, url.pathname, body, url.searchParams);
        if (answer.status < 500) idempotent.set(idempotencyKey, { fingerprint, ...answer });
        send(answer.status, answer.body);
        return;
      }
      const answer = route(req.method ?? "GET", url.pathname, body, url.searchParams);
      send(answer.status, answer.body);
    });
  });
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const sign = (payload: string, options: { secret?: string; timestamp?: number } = {}) => {
    const timestamp = options.timestamp ?? now();
    const signature = createHmac("sha256", options.secret ?? webhookSecret)
      .update(`${timestamp}.${payload}`, "utf8")
      .digest("hex");
    return `t=${timestamp},v1=${signature}`;
  };

  const fake: FakeStripe = {
    url: `http://127.0.0.1:${port}`,
    secretKey,
    webhookSecret,
    requests,
    payouts,
    events,
    failNext(prefix, status, times = 1) {
      failures.push({ prefix, status, left: times });
    },
    settlePayout(id, outcome, failureMessage) {
      const payout = payouts.get(id);
      if (!payout) throw new Error(`fake stripe: no payout ${id}`);
      payout.status = outcome;
      if (outcome === "failed") {
        payout.failure_code = "account_closed";
        payout.failure_message = failureMessage ?? "The bank account has been closed.";
        addBalanceTransaction("payout_failure", Number(payout.amount), String(payout.currency), id);
      }
      return event(`payout.${outcome}`, payout);
    },
    succeedPayment({ amount, currency, metadata, customer }) {
      const created = now();
      const paymentIntent: StripeObject = {
        id: stripeId("pi"),
        object: "payment_intent",
        amount,
        amount_received: amount,
        created,
        currency,
        customer: customer ?? null,
        latest_charge: null,
        livemode: false,
        metadata,
        status: "succeeded",
      };
      const charge: StripeObject = {
        id: stripeId("ch"),
        object: "charge",
        amount,
        amount_captured: amount,
        captured: true,
        created,
        currency,
        customer: customer ?? null,
        livemode: false,
        metadata,
        paid: true,
        payment_intent: paymentIntent.id,
        status: "succeeded",
      };
      paymentIntent.latest_charge = charge.id;
      paymentIntents.set(paymentIntent.id, paymentIntent);
      charges.set(charge.id, charge);
      addBalanceTransaction("charge", amount, currency, charge.id);
      return {
        paymentIntent,
        events: [event("payment_intent.succeeded", paymentIntent), event("charge.succeeded", charge)],
      };
    },
    sign,
    delivery(stripeEvent, options = {}) {
      const body = JSON.stringify(stripeEvent, null, 2);
      return { body, signature: sign(body, options.secret ? { secret: options.secret } : {}) };
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
