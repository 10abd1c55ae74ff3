// Voiding the hold of an approved payment that has not left (UJ-3, ADR 0011), on the real
// PostgreSQL: a frozen venture's held payment is voided — the budget is available again, the
// payment failed with the note, and nothing reaches the rail after the unfreeze; a payment not
// queued yet is never queued; one the worker began sending is refused while the call is in
// flight and then pays; bad input, the wrong role, another portfolio and an intent that is not an
// approved payment are refused and write nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { Role } from "@/server/shared/events/catalog";
import { openTestServices, type TestServices } from "@/test/services";
import { budgetAccountId, createIntent } from "../intents/create-intent";
import { freezeTreasury, unfreezeTreasury } from "../intents/freezes";
import { fundedIntentFixture, type IntentFixture } from "../intents/testing";
import { getBalances } from "../ledger/get-balances";
import { verifyLedger } from "../ledger/verify-ledger";
import { claimPayout } from "./claim-payout";
import { defaultPayoutLimits } from "./payout-rows";
import type { Rails } from "./settings";
import { submitPayout } from "./submit-payout";
import { testRails } from "./testing";
import { voidPayout } from "./void-payout";

let s: TestServices;
let f: IntentFixture;
let n = 0;

beforeAll(async () => {
  s = await openTestServices();
  f = await fundedIntentFixture(s.db, 1_000_000n);
}, 60_000);

afterAll(async () => {
  await s?.close();
});

/** An approved payment (within the automatic approval limit) to acme. */
async function approved(amountMinor = "40000") {
  const intent = await createIntent({
    db: s.db,
    ...f.as("founder"),
    requester: f.requester("founder"),
    input: {
      portfolioId: f.portfolioId,
      ventureId: f.ventureId,
      amountMinor,
      currency: "USD",
      counterparty: "acme",
      category: "advertising",
      purpose: "Ad burst",
      idempotencyKey: `void-${++n}`,
    },
  });
  return intent;
}

const queue = (intentId: string) =>
  withTransaction(s.db, (tx) => claimPayout(tx, { intentId, rail: "sandbox" }));

const pay = (intentId: string, rails: Rails = testRails(s.db)) =>
  submitPayout(
    {
      db: s.db,
      rails,
      limits: defaultPayoutLimits,
      actor: { type: "worker", id: "test" },
      correlationId: "cor_void_pay",
    },
    intentId,
  );

function voidAs(role: Role, intentId: string, note = "Runaway ad spend", portfolioId = f.portfolioId) {
  return voidPayout({
    db: s.db,
    actor: { type: "user", id: f.principals[role].userId },
    correlationId: "cor_void",
    decider: { userId: f.principals[role].userId, role },
    portfolioId,
    intentId,
    note,
    defaultRail: "sandbox",
  });
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

async function available(): Promise<bigint> {
  const [budget] = await getBalances(s.db, { accountIds: [budgetAccountId(f.ventureId, "USD")] });
  return budget!.availableMinor;
}

async function atRail(intentId: string): Promise<number> {
  const [row] = await s.db.$queryRawUnsafe<Array<{ n: number }>>(
    "SELECT count(*)::int AS n FROM sandbox_rail_transactions WHERE kind = 'payout' AND idempotency_key = $1",
    intentId,
  );
  return row!.n;
}

/** Rows a refused void must not have written. */
async function written(): Promise<Record<string, number>> {
  const [row] = await s.db.$queryRawUnsafe<Array<Record<string, number>>>(
    `SELECT (SELECT count(*) FROM event_log)::int AS events,
            (SELECT count(*) FROM ledger_hold_resolutions)::int AS resolutions,
            (SELECT count(*) FROM treasury_payouts WHERE status = 'failed')::int AS failed`,
  );
  return row!;
}

const freezer = (role: Role = "finance_controller") => ({
  db: s.db,
  actor: { type: "user" as const, id: f.principals[role].userId },
  correlationId: "cor_void_freeze",
  role,
  portfolioId: f.portfolioId,
  ventureId: f.ventureId,
});

describe("voiding a payment that has not left", () => {
  it("releases a frozen venture's held payment, fails it with the note, and nothing pays after the unfreeze", async () => {
    const before = await available();
    const intent = await approved("40000");
    expect(intent.status).toBe("approved");
    expect(await available()).toBe(before - 40_000n);
    expect(await queue(intent.id)).toBe("queued");
    await freezeTreasury({ ...freezer(), reason: "Velocity spike drill" });
    try {
      // The worker holds it back while frozen: nothing is sent.
      expect(await pay(intent.id)).toBe("frozen");
      const voided = await voidAs("finance_controller", intent.id);
      expect(voided.status).toBe("failed");
      expect(voided.settlement).toMatchObject({ status: "failed", railReference: null });
      expect(voided.settlement!.failureReason).toBe(
        `Voided by ${f.principals.finance_controller.userId}: Runaway ad spend`,
      );
      expect(voided.reasons.at(-1)).toContain("Runaway ad spend");
      expect(await available()).toBe(before);
    } finally {
      await unfreezeTreasury({ ...freezer(), reason: "Drill over" });
    }
    // After the unfreeze the worker finds nothing to send.
    expect(await pay(intent.id)).toBe("skipped");
    expect(await atRail(intent.id)).toBe(0);
    const types = await s.db.$queryRawUnsafe<Array<{ type: string; actor: string }>>(
      "SELECT type, actor_id AS actor FROM event_log WHERE stream_id IN ($1, $2) ORDER BY position",
      intent.id,
      intent.holdId,
    );
    expect(types).toContainEqual({
      type: "treasury.hold_voided",
      actor: f.principals.finance_controller.userId,
    });
    expect(types).toContainEqual({
      type: "treasury.intent_settlement_failed",
      actor: f.principals.finance_controller.userId,
    });
    expect((await verifyLedger(s.db)).ok).toBe(true);
  });

  it("voids a payment the worker has not queued yet, and it is never queued", async () => {
    const intent = await approved("12000");
    const voided = await voidAs("admin", intent.id, "Not this vendor");
    expect(voided.status).toBe("failed");
    expect(voided.settlement).toMatchObject({ rail: "sandbox", status: "failed" });
    expect(await queue(intent.id)).toBe("already_queued");
    expect(await pay(intent.id)).toBe("skipped");
    expect(await atRail(intent.id)).toBe(0);
  });

  it("refuses a payment the worker began sending while the call is in flight; it then pays", async () => {
    const intent = await approved("15000");
    await queue(intent.id);
    // A rail whose answer waits until the test lets it go: the call is in flight meanwhile.
    const base = testRails(s.db);
    let release = () => {};
    const answer = new Promise<void>((resolve) => {
      release = resolve;
    });
    const rails: Rails = {
      ...base,
      get(name) {
        const adapter = base.get(name);
        return {
          ...adapter,
          name: adapter.name,
          async submitPayout(request) {
            await answer;
            return adapter.submitPayout(request);
          },
        };
      },
    };
    const paying = pay(intent.id, rails);
    for (let i = 0; i < 200; i++) {
      const [row] = await s.db.$queryRawUnsafe<Array<{ sending: Date | null }>>(
        "SELECT sending_started_at AS sending FROM treasury_payouts WHERE intent_id = $1",
        intent.id,
      );
      if (row?.sending) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const before = await written();
    const inFlight = await refusal(voidAs("finance_controller", intent.id));
    expect(inFlight.code).toBe("UNPROCESSABLE");
    expect(inFlight.details.reason).toBe("payout_sent");
    expect(inFlight.message).toMatch(/already sent to the sandbox rail/);
    expect(await written()).toEqual(before);
    release();
    expect(await paying).toBe("submitted");
    expect(await atRail(intent.id)).toBe(1);
    expect((await refusal(voidAs("finance_controller", intent.id))).details.reason).toBe("payout_sent");
  });

  it("refuses bad input, the wrong role, another portfolio and what is not an approved payment, writing nothing", async () => {
    const intent = await approved("9000");
    const pending = await createIntent({
      db: s.db,
      ...f.as("founder"),
      requester: f.requester("founder"),
      input: {
        portfolioId: f.portfolioId,
        ventureId: f.ventureId,
        amountMinor: "60000",
        currency: "USD",
        counterparty: "acme",
        category: "advertising",
        purpose: "Above the automatic limit",
        idempotencyKey: `void-pending-${++n}`,
      },
    });
    expect(pending.status).toBe("pending_approval");
    const before = await written();

    const noNote = await refusal(voidAs("finance_controller", intent.id, "  "));
    expect(noNote.code).toBe("BAD_REQUEST");
    expect(noNote.details.fields).toEqual({ note: "1-2000 characters" });
    expect((await refusal(voidAs("founder", intent.id))).code).toBe("FORBIDDEN");
    expect((await refusal(voidAs("auditor", intent.id))).code).toBe("FORBIDDEN");
    expect((await refusal(voidAs("finance_controller", intent.id, "x", f.otherPortfolioId))).code).toBe(
      "NOT_FOUND",
    );
    const notApproved = await refusal(voidAs("finance_controller", pending.id));
    expect(notApproved.code).toBe("UNPROCESSABLE");
    expect(notApproved.details.reason).toBe("intent_not_approved");
    expect(notApproved.message).toMatch(/is pending approval/);
    expect(await written()).toEqual(before);

    // Voided once, it is failed: a second void is refused.
    await voidAs("finance_controller", intent.id);
    expect((await refusal(voidAs("finance_controller", intent.id))).details.reason).toBe(
      "intent_not_approved",
    );
  });
});
