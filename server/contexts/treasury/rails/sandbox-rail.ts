// The built-in sandbox rail (TREAS-008): a pretend bank with books of its own
// (sandbox_rail_transactions), so payouts settle asynchronously, fail on demand and show up on a
// statement that reconciliation can compare with the ledger, all without a network.
//
// - A payout is accepted at once as pending and settles settleMs later, when someone asks
//   (fetchPayout): to paid, or to failed when the failure simulation picked it. The simulation is
//   decided when the payout is made and stored with it — by counterparty, or for a fraction of
//   payouts chosen by a hash of the idempotency key — so a retry or a later look never disagrees.
// - The idempotency key is unique per kind: the same key returns the payout already made; the
//   same key with another amount, currency or counterparty is refused, as a real rail does.
// - Payments (a customer paying a venture) and adjustments (a fee or correction only the bank
//   knows about) are booked at once.
import { createHash } from "node:crypto";
import type { Db, Tx } from "@/server/shared/db";
import { newId } from "@/server/shared/ids";
import {
  type PayoutRequest,
  RailError,
  type RailPayout,
  type RailPayoutStatus,
  type StatementLine,
} from "./rail";

export type SandboxRailSettings = {
  /** How long after submission a payout settles. */
  settleMs: number;
  /** Payouts to these counterparties fail. */
  failCounterparties: readonly string[];
  /** This fraction of other payouts fails (0 … 1), chosen by a hash of the idempotency key. */
  failureRate: number;
};

export const defaultSandboxSettings: SandboxRailSettings = {
  settleMs: 2_000,
  failCounterparties: [],
  failureRate: 0,
};

type Row = {
  id: string;
  kind: string;
  idempotency_key: string;
  venture_id: string | null;
  amount_minor: bigint;
  currency: string;
  party: string | null;
  status: string;
  failure_reason: string | null;
  description: string | null;
  created_at: Date;
};

const columns =
  "id, kind, idempotency_key, venture_id, amount_minor, currency, party, status, failure_reason, description, created_at";

export type SandboxPayment = { reference: string; amountMinor: bigint; currency: string; createdAt: Date };

export type SandboxRail = {
  readonly name: "sandbox";
  submitPayout(request: PayoutRequest): Promise<RailPayout>;
  fetchPayout(reference: string): Promise<RailPayout>;
  listStatement(options: { portfolioId: string; from: Date; to: Date }): Promise<StatementLine[]>;
  /** A customer pays a venture (booked at once). Idempotent by key. */
  receivePayment(
    db: Db | Tx,
    payment: {
      idempotencyKey: string;
      portfolioId: string;
      ventureId: string;
      amountMinor: bigint;
      currency: string;
      customer: string | null;
      description: string | null;
    },
  ): Promise<SandboxPayment>;
  /** A booking only the bank knows about (a fee, a correction); amountMinor signed. */
  bookAdjustment(adjustment: {
    portfolioId: string;
    ventureId: string | null;
    amountMinor: bigint;
    currency: string;
    description: string;
  }): Promise<string>;
};

/** Whether the simulation fails this payout, and why; pure. */
export function simulatedFailure(
  settings: SandboxRailSettings,
  request: { idempotencyKey: string; counterparty: string },
): string | null {
  if (settings.failCounterparties.includes(request.counterparty)) {
    return `The sandbox bank rejected the payout to ${request.counterparty} (simulated failure for this counterparty)`;
  }
  if (settings.failureRate > 0) {
    const draw = createHash("sha256").update(request.idempotencyKey).digest().readUInt32BE(0) / 2 ** 32;
    if (draw < settings.failureRate) {
      return `The sandbox bank rejected the payout (simulated failure rate ${settings.failureRate})`;
    }
  }
  return null;
}

function toPayout(row: Row): RailPayout {
  return {
    reference: row.id,
    status: row.status as RailPayoutStatus,
    amountMinor: -row.amount_minor,
    currency: row.currency,
    failureReason: row.failure_reason,
    createdAt: row.created_at,
  };
}

export function createSandboxRail(
  db: Db,
  settings: SandboxRailSettings = defaultSandboxSettings,
): SandboxRail {
  return {
    name: "sandbox",

    async submitPayout(request) {
      if (request.amountMinor <= 0n) throw new RailError("A payout amount must be positive", false);
      const failure = simulatedFailure(settings, request);
      await db.$executeRawUnsafe(
        `INSERT INTO sandbox_rail_transactions
           (id, kind, idempotency_key, portfolio_id, venture_id, amount_minor, currency, party, status,
            outcome, failure_reason, description, created_at, settle_at)
         VALUES ($1, 'payout', $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10, now(),
                 now() + make_interval(secs => $11::double precision / 1000))
         ON CONFLICT (kind, idempotency_key) DO NOTHING`,
        `sbx_po_${newId("event").slice(4)}`,
        request.idempotencyKey,
        request.portfolioId,
        request.ventureId,
        -request.amountMinor,
        request.currency,
        request.counterparty,
        failure ? "failed" : "paid",
        failure,
        request.description,
        settings.settleMs,
      );
      const [row] = await db.$queryRawUnsafe<Row[]>(
        `SELECT ${columns} FROM sandbox_rail_transactions WHERE kind = 'payout' AND idempotency_key = $1`,
        request.idempotencyKey,
      );
      if (!row) throw new RailError("The sandbox bank lost the payout it just accepted", true);
      if (
        -row.amount_minor !== request.amountMinor ||
        row.currency !== request.currency ||
        row.party !== request.counterparty
      ) {
        throw new RailError(
          `Idempotency key ${request.idempotencyKey} was already used for a different payout (${row.id})`,
          false,
        );
      }
      return toPayout(row);
    },

    async fetchPayout(reference) {
      // Settling is lazy: the first look after settle_at moves the payout to its outcome.
      await db.$executeRawUnsafe(
        `UPDATE sandbox_rail_transactions SET status = outcome
          WHERE id = $1 AND kind = 'payout' AND status = 'pending' AND settle_at <= now()`,
        reference,
      );
      const [row] = await db.$queryRawUnsafe<Row[]>(
        `SELECT ${columns} FROM sandbox_rail_transactions WHERE id = $1 AND kind = 'payout'`,
        reference,
      );
      if (!row) throw new RailError(`The sandbox bank knows no payout ${reference}`, false);
      return toPayout(row);
    },

    async listStatement({ portfolioId, from, to }) {
      // A failed payout never left the bank, so it is not on the statement.
      const rows = await db.$queryRawUnsafe<Row[]>(
        `SELECT ${columns} FROM sandbox_rail_transactions
          WHERE portfolio_id = $1 AND created_at >= $2 AND created_at < $3
            AND NOT (kind = 'payout' AND status = 'failed')
          ORDER BY created_at, id`,
        portfolioId,
        from,
        to,
      );
      return rows.map((row) => ({
        reference: row.id,
        kind: row.kind as StatementLine["kind"],
        amountMinor: row.amount_minor,
        currency: row.currency,
        createdAt: row.created_at,
        ventureId: row.venture_id,
        intentId: row.kind === "payout" ? row.idempotency_key : null,
        description: row.description,
      }));
    },

    async receivePayment(client, payment) {
      if (payment.amountMinor <= 0n) throw new RailError("A payment amount must be positive", false);
      await client.$executeRawUnsafe(
        `INSERT INTO sandbox_rail_transactions
           (id, kind, idempotency_key, portfolio_id, venture_id, amount_minor, currency, party, status,
            outcome, description, created_at, settle_at)
         VALUES ($1, 'payment', $2, $3, $4, $5, $6, $7, 'succeeded', 'succeeded', $8, now(), now())
         ON CONFLICT (kind, idempotency_key) DO NOTHING`,
        `sbx_py_${newId("event").slice(4)}`,
        payment.idempotencyKey,
        payment.portfolioId,
        payment.ventureId,
        payment.amountMinor,
        payment.currency,
        payment.customer,
        payment.description,
      );
      const [row] = await client.$queryRawUnsafe<Row[]>(
        `SELECT ${columns} FROM sandbox_rail_transactions WHERE kind = 'payment' AND idempotency_key = $1`,
        payment.idempotencyKey,
      );
      if (!row) throw new RailError("The sandbox bank lost the payment it just booked", true);
      if (
        row.amount_minor !== payment.amountMinor ||
        row.currency !== payment.currency ||
        row.venture_id !== payment.ventureId
      ) {
        throw new RailError(
          `Idempotency key ${payment.idempotencyKey} was already used for a different payment (${row.id})`,
          false,
        );
      }
      return {
        reference: row.id,
        amountMinor: row.amount_minor,
        currency: row.currency,
        createdAt: row.created_at,
      };
    },

    async bookAdjustment(adjustment) {
      const id = `sbx_adj_${newId("event").slice(4)}`;
      await db.$executeRawUnsafe(
        `INSERT INTO sandbox_rail_transactions
           (id, kind, idempotency_key, portfolio_id, venture_id, amount_minor, currency, status, outcome,
            description, created_at, settle_at)
         VALUES ($1, 'adjustment', $1, $2, $3, $4, $5, 'succeeded', 'succeeded', $6, now(), now())`,
        id,
        adjustment.portfolioId,
        adjustment.ventureId,
        adjustment.amountMinor,
        adjustment.currency,
        adjustment.description,
      );
      return id;
    },
  };
}
