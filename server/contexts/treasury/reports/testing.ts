// A small portfolio with known money for the reports and dashboard integration tests: capital
// deposited, two ventures funded through allocations approved in the inbox, spends held and settled
// (partly), revenue received, a spend still pending approval, and an expense posted ten days ago by
// a raw writer (so the daily totals must follow entries' dates, whoever writes them).
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { type Db, withTransaction } from "@/server/shared/db";
import { type RoleFixture, roleFixture } from "@/server/trpc/fixtures";
import { allocateBudget } from "../funding/allocate-budget";
import { recordDeposit } from "../funding/record-deposit";
import { approveIntent } from "../intents/approve-intent";
import { allowCounterparty } from "../intents/counterparties";
import { createIntent } from "../intents/create-intent";
import { recordEntry, recordHoldPosted } from "../ledger/record";

export type SeededPortfolio = RoleFixture & {
  a: string;
  b: string;
  /** A venture with no money at all. */
  c: string;
  pendingIntentId: string;
  backdatedDay: string;
  expected: {
    depositedMinor: bigint;
    allocated: { a: bigint; b: bigint };
    revenue: { a: bigint; b: bigint };
    expenses: {
      a: { model_inference: bigint; saas: bigint };
      b: { advertising: bigint };
    };
    /** Only today's postings (the raw entry is ten days old). */
    todayExpenses: { a: bigint; b: bigint };
    pendingHoldMinor: bigint;
  };
};

export async function seededPortfolio(db: Db): Promise<SeededPortfolio> {
  const base = await roleFixture(db);
  const system = { actor: { type: "system" as const, id: "test" }, correlationId: "cor_reports_seed" };
  const as = (role: "founder" | "finance_controller") => ({
    actor: { type: "user" as const, id: base.principals[role].userId },
    correlationId: `cor_reports_${role}`,
  });
  const requester = {
    kind: "user" as const,
    userId: base.principals.founder.userId,
    portfolioId: base.portfolioId,
    portfolioRole: "founder" as const,
  };
  const venture = async (name: string) =>
    (await createVenture({ db, ...system, portfolioId: base.portfolioId, name, goal: null })).id;
  const a = await venture("Alpha Robots");
  const b = await venture("Beta Kits");
  const c = await venture("Gamma Idle");
  for (const id of [a, b]) await allowCounterparty({ db, ventureId: id, counterpartyId: "acme" });

  await recordDeposit({
    db,
    ...as("finance_controller"),
    depositedBy: base.principals.finance_controller.userId,
    input: { portfolioId: base.portfolioId, amountMinor: "5000000", currency: "USD", source: "Seed round" },
  });
  for (const [id, amount] of [
    [a, "1000000"],
    [b, "300000"],
  ] as const) {
    const allocation = await allocateBudget({
      db,
      ...as("founder"),
      requester,
      input: {
        portfolioId: base.portfolioId,
        ventureId: id,
        amountMinor: amount,
        currency: "USD",
        reason: "Q1 budget",
      },
    });
    // Above the four-eyes threshold a second, distinct approver completes it.
    const approvers =
      allocation.intent.approvalsRequired > 1
        ? (["finance_controller", "admin"] as const)
        : (["finance_controller"] as const);
    for (const role of approvers) {
      await approveIntent({
        db,
        actor: { type: "user", id: base.principals[role].userId },
        correlationId: `cor_reports_${role}`,
        decider: { userId: base.principals[role].userId, role },
        portfolioId: base.portfolioId,
        intentId: allocation.intent.id,
        note: "Approved",
      });
    }
  }

  const spend = async (ventureId: string, amountMinor: string, category: string, key: string) => {
    const intent = await createIntent({
      db,
      ...as("founder"),
      requester,
      input: {
        portfolioId: base.portfolioId,
        ventureId,
        amountMinor,
        currency: "USD",
        counterparty: "acme",
        category,
        purpose: `Seed ${category}`,
        idempotencyKey: key,
      },
    });
    if (intent.status === "denied") throw new Error(`seed spend ${key} denied: ${intent.reasons.join("; ")}`);
    return { ...intent, holdId: intent.holdId! };
  };
  // Settled as the rails would: the hold posted in full, or in part (the rest released).
  const settle = (holdId: string, amountMinor?: bigint) =>
    withTransaction(db, (tx) =>
      recordHoldPosted(tx, system, { holdId, ...(amountMinor ? { amountMinor } : {}) }),
    );
  await settle((await spend(a, "20000", "model_inference", "a-models")).holdId);
  await settle((await spend(a, "30000", "saas", "a-saas")).holdId);
  const pending = await spend(a, "60000", "model_inference", "a-pending");
  await settle((await spend(b, "40000", "advertising", "b-ads")).holdId, 25_000n);

  // Revenue, as an incoming payment posts it: the venture's cash against its revenue.
  await withTransaction(db, (tx) =>
    recordEntry(tx, system, {
      id: `${a}-sale-1`,
      memo: "sandbox payment",
      postings: [
        { accountId: `${a}:cash:USD`, amountMinor: 15_000n },
        { accountId: `${a}:revenue:USD`, amountMinor: -15_000n },
      ],
    }),
  );

  // Ten days ago, written straight into the ledger's tables (balances and totals follow by trigger).
  const [{ day }] = (await db.$queryRawUnsafe<Array<{ day: string }>>(
    "SELECT to_char(((now() - interval '10 days') AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day",
  )) as [{ day: string }];
  await withTransaction(db, async (tx) => {
    await tx.$executeRawUnsafe(
      `INSERT INTO ledger_entries (id, portfolio_id, posting_count, memo, created_at)
       VALUES ($1, $2, 2, 'backdated ads', now() - interval '10 days')`,
      `${b}-backdated`,
      base.portfolioId,
    );
    await tx.$executeRawUnsafe(
      `INSERT INTO ledger_postings (entry_id, posting_count, seq, account_id, book_id, currency, amount_minor)
       VALUES ($1, 2, 0, $2, $4, 'USD', 7000), ($1, 2, 1, $3, $4, 'USD', -7000)`,
      `${b}-backdated`,
      `${b}:expense:advertising:USD`,
      `${b}:budget:USD`,
      b,
    );
  });

  return {
    ...base,
    a,
    b,
    c,
    pendingIntentId: pending.id,
    backdatedDay: day,
    expected: {
      depositedMinor: 5_000_000n,
      allocated: { a: 1_000_000n, b: 300_000n },
      revenue: { a: 15_000n, b: 0n },
      expenses: { a: { model_inference: 20_000n, saas: 30_000n }, b: { advertising: 32_000n } },
      todayExpenses: { a: 50_000n, b: 25_000n },
      pendingHoldMinor: 60_000n,
    },
  };
}
