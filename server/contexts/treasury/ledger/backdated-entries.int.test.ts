// Back-dated entries (ADR 0004, "Back-dated entries", migration 20261129120000): postEntries with
// createdAt dates its entries then, and their postings count on that UTC day of the daily totals,
// before, on or after an account's latest day; a time after now is refused and writes nothing;
// without createdAt entries are dated now, as always.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyDailyTotals } from "@/server/contexts/treasury/reports/verify-daily-totals";
import { createDb, type Db, withTransaction } from "@/server/shared/db";
import { createTestDatabase } from "@/test/services";
import { postEntries, postEntry } from "./post-entries";
import { fundedVenture, ledgerFingerprint, refused } from "./testing/support";
import { verifyLedger } from "./verify-ledger";

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url);
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

const daysAgo = (n: number, hour = 12) => {
  const today = new Date();
  return new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - n, hour));
};
const day = (d: Date) => d.toISOString().slice(0, 10);

async function dailyRows(accountId: string) {
  const rows = await db.$queryRawUnsafe<
    Array<{ day: string; debits: bigint; credits: bigint; postings: number }>
  >(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, debits_minor AS debits, credits_minor AS credits, postings
       FROM ledger_daily_totals WHERE account_id = $1 ORDER BY day`,
    accountId,
  );
  return rows.map((r) => ({ ...r, debits: BigInt(r.debits), credits: BigInt(r.credits) }));
}

const spend = (id: string, acct: (code: string) => string, amount: bigint) => ({
  id,
  postings: [
    { accountId: acct("expense:models"), amountMinor: amount },
    { accountId: acct("budget"), amountMinor: -amount },
  ],
});

describe("back-dated entries", () => {
  it("land on their own day, in any order around the account's latest day, and the totals verify", async () => {
    const { portfolioId, acct } = await fundedVenture(db);
    const expense = acct("expense:models");
    // Today's entry first (the funding is today too), then days before it, then one in between.
    await postEntries(db, { entries: [spend("bd-today", acct, 100n)] });
    await postEntries(db, {
      entries: [spend("bd-10", acct, 1_000n), spend("bd-10b", acct, 10n)],
      createdAt: daysAgo(10),
    });
    await postEntries(db, { entries: [spend("bd-20", acct, 2_000n)], createdAt: daysAgo(20, 0) });
    await postEntries(db, { entries: [spend("bd-10c", acct, 5n)], createdAt: daysAgo(10, 23) });
    await withTransaction(db, (tx) =>
      postEntries(tx, { entries: [spend("bd-5", acct, 500n)], createdAt: daysAgo(5) }),
    );
    expect(await dailyRows(expense)).toEqual([
      { day: day(daysAgo(20)), debits: 2_000n, credits: 0n, postings: 1 },
      { day: day(daysAgo(10)), debits: 1_015n, credits: 0n, postings: 3 },
      { day: day(daysAgo(5)), debits: 500n, credits: 0n, postings: 1 },
      { day: day(daysAgo(0)), debits: 100n, credits: 0n, postings: 1 },
    ]);
    const [entry] = await db.$queryRawUnsafe<Array<{ created_at: Date }>>(
      "SELECT created_at FROM ledger_entries WHERE id = 'bd-20'",
    );
    expect(entry!.created_at.toISOString()).toBe(daysAgo(20, 0).toISOString());
    expect(await verifyDailyTotals({ db, portfolioId })).toMatchObject({ mismatches: [] });
    expect(await verifyLedger(db, { portfolioId })).toMatchObject({ ok: true });
    // The balance is today's, whatever the dates: 100 + 1,015 + 2,000 + 500 spent of 100,000.
    const [budget] = await db.$queryRawUnsafe<Array<{ balance: bigint }>>(
      "SELECT debits_posted - credits_posted AS balance FROM ledger_accounts WHERE id = $1",
      acct("budget"),
    );
    expect(budget!.balance).toBe(100_000n - 3_615n);
  });

  it("moves the latest day along when an entry is dated after it, then takes today's transfers", async () => {
    const { portfolioId, acct } = await fundedVenture(db, { budgetMinor: 0n });
    // A venture funded long ago: its only entries are back-dated, so its latest day is in the past.
    const fund = (id: string, at: Date, amount: bigint) =>
      postEntries(db, {
        createdAt: at,
        entries: [
          {
            id,
            postings: [
              { accountId: acct("budget"), amountMinor: amount },
              { accountId: acct("equity"), amountMinor: -amount },
            ],
          },
        ],
      });
    await fund("bd-fund-30", daysAgo(30), 10_000n);
    await fund("bd-fund-3", daysAgo(3), 5_000n);
    await postEntry(db, spend("bd-now", acct, 7n));
    expect(await dailyRows(acct("budget"))).toEqual([
      { day: day(daysAgo(30)), debits: 10_000n, credits: 0n, postings: 1 },
      { day: day(daysAgo(3)), debits: 5_000n, credits: 0n, postings: 1 },
      { day: day(daysAgo(0)), debits: 0n, credits: 7n, postings: 1 },
    ]);
    expect(await verifyDailyTotals({ db, portfolioId })).toMatchObject({ mismatches: [] });
  });

  it("refuses a time after now, or no time at all, naming createdAt, and writes nothing", async () => {
    const { acct } = await fundedVenture(db);
    const before = await ledgerFingerprint(db);
    const tomorrow = new Date(Date.now() + 86_400_000);
    const error = await refused(
      postEntries(db, { entries: [spend("bd-future", acct, 1n)], createdAt: tomorrow }),
      "BAD_REQUEST",
      "createdAt",
    );
    expect(error.message).toContain("after the database clock");
    await refused(
      postEntries(db, { entries: [spend("bd-nan", acct, 1n)], createdAt: new Date("not a date") }),
      "BAD_REQUEST",
      "createdAt",
    );
    expect(await ledgerFingerprint(db)).toBe(before);
  });

  it("still refuses what it always refused: an overdraft is judged on today's balance", async () => {
    const { acct } = await fundedVenture(db, { budgetMinor: 50n });
    const before = await ledgerFingerprint(db);
    await refused(
      postEntries(db, { entries: [spend("bd-over", acct, 51n)], createdAt: daysAgo(40) }),
      "UNPROCESSABLE",
    );
    expect(await ledgerFingerprint(db)).toBe(before);
  });
});
