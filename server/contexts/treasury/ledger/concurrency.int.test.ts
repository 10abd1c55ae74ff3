import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { newId } from "@/server/shared/ids";
import { openTestServices, type TestServices } from "@/test/services";
import { getBalances } from "./get-balances";
import { LedgerModel } from "./model";
import { openAccounts } from "./open-accounts";
import { placeHold } from "./place-hold";
import { postEntries, postEntry } from "./post-entries";
import { postHold } from "./post-hold";
import { fundedVenture } from "./testing/support";
import {
  type ConcreteOp,
  concreteOp,
  opTemplate,
  seedOps,
  worldAccounts,
  worldBooks,
} from "./testing/workload";
import { trialBalance } from "./trial-balance";
import { verifyLedger } from "./verify-ledger";
import { voidHold } from "./void-hold";

let s: TestServices;

beforeAll(async () => {
  s = await openTestServices();
});
afterAll(async () => {
  await s.close();
});

// Each run costs a few hundred round trips; a nightly run raises it with PROPERTY_RUNS.
const modelRuns = Math.max(5, Math.floor(Number(process.env.PROPERTY_RUNS ?? 200) / 20));

describe("budgets under concurrency", () => {
  it("200 concurrent holds against one budget approve at most the budget", async () => {
    const v = await fundedVenture(s.db, { budgetMinor: 50_000n });
    // Amounts from 1 to 500 in a fixed pattern: they sum to far more than the budget.
    const amounts = Array.from({ length: 200 }, (_, i) => BigInt(((i * 37) % 500) + 1));
    expect(amounts.reduce((a, b) => a + b, 0n)).toBeGreaterThan(50_000n);
    const results = await Promise.allSettled(
      amounts.map((amountMinor) =>
        withTransaction(s.db, (tx) =>
          placeHold(tx, {
            id: newId("correlation"),
            debitAccountId: v.acct("expense:models"),
            creditAccountId: v.acct("budget"),
            amountMinor,
            expiresAt: new Date(Date.now() + 600_000),
          }),
        ),
      ),
    );
    let approved = 0n;
    results.forEach((result, i) => {
      if (result.status === "fulfilled") {
        approved += amounts[i]!;
        return;
      }
      const error = result.reason as AppError;
      expect(error).toBeInstanceOf(AppError);
      expect(error.code).toBe("UNPROCESSABLE");
      expect(error.details.accountId).toBe(v.acct("budget"));
      expect(BigInt(error.details.shortfallMinor as string)).toBeGreaterThan(0n);
      expect(error.message).toContain(v.acct("budget"));
    });
    const refusedCount = results.filter((r) => r.status === "rejected").length;
    expect(refusedCount).toBeGreaterThan(0);
    expect(approved).toBeLessThanOrEqual(50_000n);
    const [budget] = await getBalances(s.db, { accountIds: [v.acct("budget")] });
    expect(budget!.creditsPendingMinor).toBe(approved);
    expect(budget!.availableMinor).toBe(50_000n - approved);
    expect(budget!.availableMinor).toBeGreaterThanOrEqual(0n);
    // Every refusal was a real shortfall: holds only lower what is available, so what is left now is
    // less than any amount that was refused.
    results.forEach((result, i) => {
      if (result.status === "rejected") expect(budget!.availableMinor).toBeLessThan(amounts[i]!);
    });
  });

  it("batched transfers on one hot account respect its floor as a whole", async () => {
    const v = await fundedVenture(s.db, { budgetMinor: 1_000n });
    const entries = Array.from({ length: 11 }, (_, i) => ({
      id: newId("correlation"),
      postings: [
        { accountId: v.acct("expense:ads"), amountMinor: 100n },
        { accountId: v.acct("budget"), amountMinor: -100n },
      ],
      memo: `batch ${i}`,
    }));
    const error = await postEntries(s.db, { entries }).catch((e: unknown) => e as AppError);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).details).toMatchObject({ accountId: v.acct("budget"), shortfallMinor: "100" });
    await postEntries(s.db, { entries: entries.slice(0, 10) });
    const [budget] = await getBalances(s.db, { accountIds: [v.acct("budget")] });
    expect(budget!.availableMinor).toBe(0n);
  });
});

describe("a random concurrent workload", () => {
  it("leaves every balance equal to the sum of its postings and holds, and every trial balance at zero", async () => {
    const ventures = await Promise.all(
      Array.from({ length: 3 }, () => fundedVenture(s.db, { budgetMinor: 20_000n })),
    );
    const workers = 12;
    const opsPerWorker = 40;
    const holds: string[] = [];
    const unexpected: unknown[] = [];
    let seed = 12345;
    // A tiny deterministic generator so a failure can be replayed.
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      // The high bits: an LCG's low bits cycle too fast to spread the work.
      return Math.floor((seed / 2147483648) * n);
    };
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let i = 0; i < opsPerWorker; i++) {
          const v = ventures[rand(ventures.length)]!;
          const amount = BigInt(rand(3_000) + 1);
          const category = rand(2) === 0 ? "models" : "ads";
          try {
            switch (rand(6)) {
              case 0:
                await postEntry(s.db, {
                  id: newId("correlation"),
                  postings: [
                    { accountId: v.acct(`expense:${category}`), amountMinor: amount },
                    { accountId: v.acct("budget"), amountMinor: -amount },
                  ],
                });
                break;
              case 1:
                await postEntry(s.db, {
                  id: newId("correlation"),
                  postings: [
                    { accountId: v.acct("cash"), amountMinor: amount },
                    { accountId: v.acct("revenue"), amountMinor: -amount },
                  ],
                });
                break;
              case 2:
              case 3: {
                const hold = await placeHold(s.db, {
                  id: newId("correlation"),
                  debitAccountId: v.acct(`expense:${category}`),
                  creditAccountId: v.acct("budget"),
                  amountMinor: amount,
                  expiresAt: new Date(Date.now() + 600_000),
                });
                holds.push(hold.holdId);
                break;
              }
              case 4: {
                const holdId = holds[rand(holds.length + 1)];
                if (holdId) await postHold(s.db, { holdId, amountMinor: BigInt(rand(50) + 1) });
                break;
              }
              default: {
                const holdId = holds[rand(holds.length + 1)];
                if (holdId) await voidHold(s.db, { holdId });
                break;
              }
            }
          } catch (error) {
            // Overdrafts, double resolutions and partial posts above the hold are expected refusals.
            const expected =
              error instanceof AppError &&
              ["below_floor", "hold_resolved", "exceeds_hold"].includes(String(error.details.reason));
            if (!expected) unexpected.push(error);
          }
        }
      }),
    );
    expect(unexpected).toEqual([]);
    const verification = await verifyLedger(s.db);
    expect(verification).toEqual({
      ok: true,
      accountMismatches: [],
      unbalancedEntries: [],
      queueMismatches: [],
      belowFloor: [],
    });
    for (const v of ventures) {
      const venture = await trialBalance(s.db, { ventureId: v.ventureId });
      for (const c of venture.currencies) expect(c.netPostedMinor).toBe(0n);
      const [budget] = await getBalances(s.db, { accountIds: [v.acct("budget")] });
      expect(budget!.availableMinor).toBeGreaterThanOrEqual(0n);
    }
    const all = await trialBalance(s.db);
    for (const c of all.currencies) {
      expect(c.netPostedMinor).toBe(0n);
      expect(c.debitsPendingMinor).toBe(c.creditsPendingMinor);
    }
  });
});

describe("the database agrees with the reference model", () => {
  it("on random operation sequences: same outcomes, same balances", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(opTemplate({ withTime: false }), { minLength: 5, maxLength: 40 }),
        async (templates) => {
          run += 1;
          const prefix = `r${run}${Date.now().toString(36)}`;
          const portfolioId = `pf_${prefix}`;
          const books = worldBooks(portfolioId, [`ven_${prefix}a`, `ven_${prefix}b`]);
          const accounts = worldAccounts(books);
          const model = new LedgerModel();
          for (const account of accounts) model.open(account);
          await withTransaction(s.db, async (tx) => {
            for (const book of books) {
              for (const currency of ["USD", "JPY"]) {
                await openAccounts(tx, {
                  portfolioId: book.portfolioId,
                  ventureId: book.ventureId,
                  currency,
                  ...(book.ventureId === null
                    ? {}
                    : {
                        expenseCategories: ["models", "ads"],
                        extra: [
                          {
                            code: "expense:capped",
                            kind: "expense",
                            debitsMustNotExceedCredits: true,
                            creditsMustNotExceedDebits: false,
                            floorMinor: -5_000n,
                          },
                        ],
                      }),
                });
              }
            }
          });
          const apply = async (op: ConcreteOp, now: Date) => {
            const outcome = async <T>(fn: () => T | Promise<T>) => {
              try {
                await fn();
                return "ok";
              } catch (error) {
                if (!(error instanceof AppError)) throw error;
                return `${error.code}:${String(error.details.reason ?? "")}`;
              }
            };
            switch (op.kind) {
              case "entries":
                return [
                  await outcome(() => model.postEntries(op.entries)),
                  await outcome(() => postEntries(s.db, op)),
                ];
              case "hold":
                return [
                  await outcome(() => model.placeHolds([op.hold], now)),
                  await outcome(() => placeHold(s.db, op.hold)),
                ];
              case "post":
                return [
                  await outcome(() => model.postHold(op.holdId, op.amountMinor, now)),
                  await outcome(() =>
                    postHold(
                      s.db,
                      op.amountMinor === undefined
                        ? { holdId: op.holdId }
                        : { holdId: op.holdId, amountMinor: op.amountMinor },
                    ),
                  ),
                ];
              case "void":
                return [
                  await outcome(() => model.voidHold(op.holdId, now)),
                  await outcome(() => voidHold(s.db, op)),
                ];
              default:
                return ["skip", "skip"];
            }
          };
          const now = new Date();
          for (const op of seedOps(books, prefix)) {
            const [m, d] = await apply(op, now);
            expect(d).toBe(m);
          }
          for (const [step, template] of templates.entries()) {
            const op = concreteOp(template, step, { accounts, books, model, now, idPrefix: prefix });
            if (!op) continue;
            const [m, d] = await apply(op, now);
            expect(
              d,
              `step ${step}: ${JSON.stringify(op, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`,
            ).toBe(m);
          }
          const balances = await getBalances(s.db, { accountIds: accounts.map((a) => a.id) });
          for (const b of balances) {
            const m = model.accounts.get(b.id)!.balances;
            expect([
              b.id,
              b.debitsPostedMinor,
              b.creditsPostedMinor,
              b.debitsPendingMinor,
              b.creditsPendingMinor,
            ]).toEqual([
              b.id,
              m.debitsPostedMinor,
              m.creditsPostedMinor,
              m.debitsPendingMinor,
              m.creditsPendingMinor,
            ]);
          }
          expect(model.violations()).toEqual([]);
        },
      ),
      { numRuns: modelRuns },
    );
    expect((await verifyLedger(s.db)).ok).toBe(true);
  }, 120_000);
});
