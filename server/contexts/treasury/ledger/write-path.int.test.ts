// The ledger's write functions keep balances and daily totals themselves; any other writer (raw
// SQL, a script, ledger_resolve_hold) is checked and served by triggers (migration
// 20261128170000_ledger_write_path, ADR 0004). These tests hold both paths to the same books:
// whatever mix of transfers, batches, raw entries dated on other days and settled holds, every
// balance equals its postings and open holds, the daily totals equal the postings per account and
// UTC day, and nothing outside the ledger can write either.
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "@/server/shared/ids";
import { openTestServices, type TestServices } from "@/test/services";
import { getBalances } from "./get-balances";
import { placeHold } from "./place-hold";
import { postEntries, postEntry } from "./post-entries";
import { postHold } from "./post-hold";
import { fundedVenture, ledgerFingerprint, refused } from "./testing/support";
import { verifyLedger } from "./verify-ledger";

let s: TestServices;

beforeAll(async () => {
  s = await openTestServices();
});
afterAll(async () => {
  await s.close();
});

type Venture = Awaited<ReturnType<typeof fundedVenture>>;

/** Runs SQL on a connection of its own, outside the module, as a script or another service would. */
async function rawSql<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: s.databaseUrl });
  await client.connect();
  try {
    const result = await client.query(sql, params);
    return (Array.isArray(result) ? result.at(-1)!.rows : result.rows) as T[];
  } finally {
    await client.end();
  }
}

/** A balanced two-posting entry written straight into the tables, dated `daysAgo` days back. */
async function rawEntry(v: Venture, debit: string, credit: string, amount: bigint, daysAgo: number) {
  const id = newId("correlation");
  await rawSql(
    `BEGIN;
     INSERT INTO ledger_entries (id, portfolio_id, posting_count, created_at)
       VALUES ('${id}', '${v.portfolioId}', 2, now() - interval '${daysAgo} days');
     INSERT INTO ledger_postings VALUES
       ('${id}', 2, 0, '${debit}', '${v.ventureId}', 'USD', ${amount}),
       ('${id}', 2, 1, '${credit}', '${v.ventureId}', 'USD', ${-amount});
     COMMIT;`,
  );
  return id;
}

/**
 * (account, day) rows where ledger_daily_totals differs from the postings recomputed per account
 * and UTC day of the entry, plus any (account, day) the view lists twice.
 */
async function dailyTotalsMismatches(accountIds: string[]): Promise<unknown[]> {
  const mismatches = await s.db.$queryRawUnsafe<unknown[]>(
    `WITH recomputed AS (
       SELECT p.account_id, (e.created_at AT TIME ZONE 'UTC')::date AS day,
              sum(greatest(p.amount_minor, 0))::bigint AS debits, sum(greatest(-p.amount_minor, 0))::bigint AS credits,
              count(*)::int AS postings
         FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id
        WHERE p.account_id = ANY($1::text[]) GROUP BY 1, 2
     ), stored AS (
       SELECT account_id, day, debits_minor AS debits, credits_minor AS credits, postings
         FROM ledger_daily_totals WHERE account_id = ANY($1::text[])
     )
     SELECT coalesce(r.account_id, t.account_id) AS account_id, coalesce(r.day, t.day)::text AS day,
            r.debits::text AS recomputed_debits, t.debits::text AS stored_debits,
            r.postings AS recomputed_postings, t.postings AS stored_postings
       FROM recomputed r FULL JOIN stored t ON t.account_id = r.account_id AND t.day = r.day
      WHERE r.debits IS DISTINCT FROM t.debits OR r.credits IS DISTINCT FROM t.credits
         OR r.postings IS DISTINCT FROM t.postings`,
    accountIds,
  );
  const twice = await s.db.$queryRawUnsafe<unknown[]>(
    `SELECT account_id, day::text AS day, count(*)::int AS rows FROM ledger_daily_totals
      WHERE account_id = ANY($1::text[]) GROUP BY 1, 2 HAVING count(*) > 1`,
    accountIds,
  );
  return [...mismatches, ...twice];
}

const accountsOf = (v: Venture) =>
  ["budget", "cash", "revenue", "equity", "expense:models", "expense:ads"].map((code) => v.acct(code));

describe("the write path and other writers keep the same books", () => {
  it("names the account and the shortfall when a transfer would break a floor, and writes nothing", async () => {
    const v = await fundedVenture(s.db, { budgetMinor: 1_000n });
    // Both accounts already have today's totals, so the transfer takes the two-statement path and
    // the account's CHECK is what refuses it.
    await postEntry(s.db, {
      id: newId("correlation"),
      postings: [
        { accountId: v.acct("expense:ads"), amountMinor: 100n },
        { accountId: v.acct("budget"), amountMinor: -100n },
      ],
    });
    const before = await ledgerFingerprint(s.db);
    for (const attempt of [
      postEntry(s.db, {
        id: newId("correlation"),
        postings: [
          { accountId: v.acct("budget"), amountMinor: -1_150n },
          { accountId: v.acct("expense:ads"), amountMinor: 1_150n },
        ],
      }),
      // A batch is judged on its net effect per account, in ledger_post_entries.
      postEntries(s.db, {
        entries: [
          {
            id: newId("correlation"),
            postings: [
              { accountId: v.acct("expense:models"), amountMinor: 50n },
              { accountId: v.acct("budget"), amountMinor: -50n },
            ],
          },
          {
            id: newId("correlation"),
            postings: [
              { accountId: v.acct("expense:ads"), amountMinor: 1_100n },
              { accountId: v.acct("budget"), amountMinor: -1_100n },
            ],
          },
        ],
      }),
    ]) {
      const error = await refused(attempt, "UNPROCESSABLE");
      expect(error.details).toMatchObject({
        reason: "below_floor",
        accountId: v.acct("budget"),
        availableMinor: "900",
        changeMinor: "-1150",
        shortfallMinor: "250",
      });
    }
    expect(await ledgerFingerprint(s.db)).toBe(before);
  });

  it("applies raw postings to balances and to the daily totals of their entry's day, before or after the accounts' latest day", async () => {
    const v = await fundedVenture(s.db);
    const transfer = (amount: bigint) =>
      postEntry(s.db, {
        id: newId("correlation"),
        postings: [
          { accountId: v.acct("expense:models"), amountMinor: amount },
          { accountId: v.acct("budget"), amountMinor: -amount },
        ],
      });
    await transfer(10n);
    await rawEntry(v, v.acct("expense:models"), v.acct("budget"), 7n, 3);
    await transfer(20n);
    // Dated ahead: that day becomes the accounts' latest, and today's postings go to earlier days.
    await rawEntry(v, v.acct("expense:models"), v.acct("budget"), 5n, -2);
    await transfer(30n);
    await postEntries(s.db, {
      entries: [
        {
          id: newId("correlation"),
          postings: [
            { accountId: v.acct("expense:models"), amountMinor: 40n },
            { accountId: v.acct("budget"), amountMinor: -40n },
          ],
        },
      ],
    });
    const [models] = await getBalances(s.db, { accountIds: [v.acct("expense:models")] });
    expect(models!.debitsPostedMinor).toBe(10n + 7n + 20n + 5n + 30n + 40n);
    expect(await dailyTotalsMismatches(accountsOf(v))).toEqual([]);
    const days = await rawSql<{ day: string; debits: string; postings: number }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, debits_minor::text AS debits, postings FROM ledger_daily_totals
        WHERE account_id = $1 ORDER BY day`,
      [v.acct("expense:models")],
    );
    expect(days.map((d) => [d.debits, d.postings])).toEqual([
      ["7", 1],
      ["100", 4],
      ["5", 1],
    ]);
    expect((await verifyLedger(s.db, { portfolioId: v.portfolioId })).ok).toBe(true);
  });

  it("refuses raw postings that match no entry or no account, as the foreign keys did, and writes nothing", async () => {
    const v = await fundedVenture(s.db);
    const before = await ledgerFingerprint(s.db);
    await expect(
      rawSql(
        `INSERT INTO ledger_postings VALUES ('no-such-entry', 2, 0, '${v.acct("cash")}', '${v.ventureId}', 'USD', 5)`,
      ),
    ).rejects.toThrow(/foreign key \(entry_id, posting_count\)/);
    await expect(
      rawSql(
        `BEGIN;
         INSERT INTO ledger_entries (id, portfolio_id, posting_count) VALUES ('raw-count', '${v.portfolioId}', 2);
         INSERT INTO ledger_postings VALUES ('raw-count', 3, 0, '${v.acct("cash")}', '${v.ventureId}', 'USD', 5);
         COMMIT;`,
      ),
    ).rejects.toThrow(/foreign key \(entry_id, posting_count\)/);
    await expect(
      rawSql(
        `BEGIN;
         INSERT INTO ledger_entries (id, portfolio_id, posting_count) VALUES ('raw-book', '${v.portfolioId}', 2);
         INSERT INTO ledger_postings VALUES
           ('raw-book', 2, 0, '${v.acct("cash")}', '${v.portfolioId}', 'USD', 5),
           ('raw-book', 2, 1, '${v.p("cash")}', '${v.portfolioId}', 'USD', -5);
         COMMIT;`,
      ),
    ).rejects.toThrow(/foreign key \(account_id, book_id, currency\)/);
    expect(await ledgerFingerprint(s.db)).toBe(before);
  });

  it("refuses writes to balances and daily totals from outside the ledger", async () => {
    const v = await fundedVenture(s.db);
    await postEntry(s.db, {
      id: newId("correlation"),
      postings: [
        { accountId: v.acct("expense:models"), amountMinor: 3n },
        { accountId: v.acct("budget"), amountMinor: -3n },
      ],
    });
    const before = await ledgerFingerprint(s.db);
    for (const sql of [
      `UPDATE ledger_accounts SET totals_postings = totals_postings + 1 WHERE id = '${v.acct("budget")}'`,
      `UPDATE ledger_accounts SET floor_minor = -1000 WHERE id = '${v.acct("budget")}'`,
      `UPDATE ledger_daily_totals SET debits_minor = 0 WHERE account_id = '${v.acct("expense:models")}'`,
      `DELETE FROM ledger_daily_totals WHERE account_id = '${v.acct("expense:models")}'`,
      `INSERT INTO ledger_daily_totals VALUES ('${v.acct("cash")}', current_date - 9, 1, 0, 1)`,
      `INSERT INTO ledger_closed_daily_totals VALUES ('${v.acct("cash")}', current_date - 9, 1, 0, 1)`,
      "TRUNCATE ledger_closed_daily_totals",
    ]) {
      await expect(rawSql(sql), sql).rejects.toThrow(
        /balances move only through entries and holds|derived from postings/,
      );
    }
    expect(await ledgerFingerprint(s.db)).toBe(before);
    expect(await dailyTotalsMismatches(accountsOf(v))).toEqual([]);
  });

  it("opens the write path only while a ledger function writes, never for the rest of its transaction", async () => {
    const v = await fundedVenture(s.db);
    const transfer = `SELECT ledger_post_entry('${newId("correlation")}', NULL, NULL, '${v.acct("expense:models")}', 5, '${v.acct("budget")}', -5)`;
    await expect(
      rawSql(
        `BEGIN;
         ${transfer};
         UPDATE ledger_accounts SET debits_posted = debits_posted + 1 WHERE id = '${v.acct("cash")}';
         COMMIT;`,
      ),
    ).rejects.toThrow(/balances move only through entries and holds/);
    await expect(
      rawSql(
        `BEGIN;
         SELECT ledger_post_entry('${newId("correlation")}', NULL, NULL, '${v.acct("expense:models")}', 5, '${v.acct("budget")}', -5);
         INSERT INTO ledger_entries (id, portfolio_id, posting_count) VALUES ('raw-after', '${v.portfolioId}', 2);
         INSERT INTO ledger_postings VALUES
           ('raw-after', 2, 0, '${v.acct("cash")}', '${v.ventureId}', 'USD', 500),
           ('raw-after', 2, 1, '${v.acct("revenue")}', '${v.ventureId}', 'USD', -499);
         COMMIT;`,
      ),
    ).rejects.toThrow(/does not balance/);
    const [setting] = await rawSql<{ writer: string | null }>(
      `${transfer}; SELECT current_setting('ledger.writer', true) AS writer`,
    );
    expect(setting?.writer ?? "").toBe("");
    expect((await verifyLedger(s.db, { portfolioId: v.portfolioId })).ok).toBe(true);
  });
});

describe("a random mix of writers", () => {
  type Op =
    | { kind: "transfer"; from: number; to: number; amount: number }
    | { kind: "batch"; size: number; amount: number }
    | { kind: "raw"; from: number; to: number; amount: number; daysAgo: number }
    | { kind: "hold"; amount: number; settle: boolean };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant("transfer" as const),
      from: fc.nat(3),
      to: fc.nat(3),
      amount: fc.integer({ min: 1, max: 40_000 }),
    }),
    fc.record({
      kind: fc.constant("batch" as const),
      size: fc.integer({ min: 1, max: 4 }),
      amount: fc.integer({ min: 1, max: 20_000 }),
    }),
    fc.record({
      kind: fc.constant("raw" as const),
      from: fc.nat(3),
      to: fc.nat(3),
      amount: fc.integer({ min: 1, max: 40_000 }),
      daysAgo: fc.integer({ min: -2, max: 4 }),
    }),
    fc.record({
      kind: fc.constant("hold" as const),
      amount: fc.integer({ min: 1, max: 30_000 }),
      settle: fc.boolean(),
    }),
  );

  it("leaves every balance equal to its postings and open holds, and the daily totals equal to the postings per day", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 3, maxLength: 14 }), async (ops) => {
        const v = await fundedVenture(s.db, { budgetMinor: 150_000n });
        // Budget, cash, revenue and one expense: the budget and cash refuse overdrafts, so some
        // operations are refused, which must leave no trace either.
        const accounts = [v.acct("budget"), v.acct("cash"), v.acct("revenue"), v.acct("expense:models")];
        for (const o of ops) {
          const from = o.kind === "transfer" || o.kind === "raw" ? accounts[o.from]! : "";
          const to = o.kind === "transfer" || o.kind === "raw" ? accounts[o.to]! : "";
          const attempt = async () => {
            switch (o.kind) {
              case "transfer":
                if (from === to) return;
                await postEntry(s.db, {
                  id: newId("correlation"),
                  postings: [
                    { accountId: to, amountMinor: BigInt(o.amount) },
                    { accountId: from, amountMinor: -BigInt(o.amount) },
                  ],
                });
                return;
              case "batch":
                await postEntries(s.db, {
                  entries: Array.from({ length: o.size }, () => ({
                    id: newId("correlation"),
                    postings: [
                      { accountId: v.acct("expense:models"), amountMinor: BigInt(o.amount) },
                      { accountId: v.acct("budget"), amountMinor: -BigInt(o.amount) },
                    ],
                  })),
                });
                return;
              case "raw":
                if (from === to) return;
                await rawEntry(v, to, from, BigInt(o.amount), o.daysAgo);
                return;
              case "hold": {
                const hold = await placeHold(s.db, {
                  id: newId("correlation"),
                  debitAccountId: v.acct("expense:models"),
                  creditAccountId: v.acct("budget"),
                  amountMinor: BigInt(o.amount),
                  expiresAt: new Date(Date.now() + 600_000),
                });
                if (o.settle) await postHold(s.db, { holdId: hold.holdId });
                return;
              }
            }
          };
          await attempt().catch((error: unknown) => {
            // Overdrafts are refused by name, whoever writes; anything else is a failure.
            expect(String((error as Error).message)).toMatch(/below_floor|available|floor/i);
          });
        }
        expect((await verifyLedger(s.db, { portfolioId: v.portfolioId })).ok).toBe(true);
        expect(await dailyTotalsMismatches(accountsOf(v))).toEqual([]);
      }),
      { numRuns: 8 },
    );
  }, 120_000);
});
