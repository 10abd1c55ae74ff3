// The period read behind every report and the founder dashboard (readActivity) against a
// recomputation from the immutable postings, after writes of every kind: the ledger's functions
// (today), raw back-dated entries (into a day before an account's latest day, into a gap, onto a
// day that already has totals), concurrent writers, two currencies and accounts whose latest day is
// in the past. Every period of the last ten days, every grouping: the read reads each account's
// latest day from its row and earlier days from the closed totals, so each edge of a period must
// fall on both sides of both.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPortfolio } from "@/server/contexts/orchestration/create-portfolio";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { type Db, withTransaction } from "@/server/shared/db";
import { openTestServices, type TestServices } from "@/test/services";
import { openAccounts } from "../ledger/open-accounts";
import { postEntry } from "../ledger/post-entries";
import { type ActivityRow, readActivity } from "./activity-sql";
import { addDays, type Day } from "./period";
import { verifyDailyTotals } from "./verify-daily-totals";

let s: TestServices;
let portfolioId: string;
let a: string;
let b: string;
let today: Day;
const ctx = { actor: { type: "system" as const, id: "test" }, correlationId: "cor_activity_sql" };

/**
 * An entry written straight into the ledger's tables, dated `daysAgo` days before now. It locks its
 * accounts in id order first, as the ledger's functions do, so it queues behind concurrent writers
 * of the same accounts rather than deadlocking with them.
 */
async function rawEntry(
  db: Db,
  id: string,
  daysAgo: number,
  postings: Array<[accountId: string, amountMinor: number]>,
): Promise<void> {
  await withTransaction(db, async (tx) => {
    await tx.$executeRawUnsafe(
      "SELECT 1 FROM ledger_accounts WHERE id = ANY ($1::text[]) ORDER BY id FOR NO KEY UPDATE",
      postings.map(([accountId]) => accountId),
    );
    await tx.$executeRawUnsafe(
      `INSERT INTO ledger_entries (id, portfolio_id, posting_count, memo, created_at)
       VALUES ($1, $2, $3, 'raw', now() - $4::int * interval '1 day')`,
      id,
      portfolioId,
      postings.length,
      daysAgo,
    );
    await tx.$executeRawUnsafe(
      `INSERT INTO ledger_postings (entry_id, posting_count, seq, account_id, book_id, currency, amount_minor)
       SELECT $1, $2, p.seq - 1, a.id, a.book_id, a.currency, p.amount
         FROM unnest($3::text[], $4::bigint[]) WITH ORDINALITY AS p(account_id, amount, seq)
         JOIN ledger_accounts a ON a.id = p.account_id`,
      id,
      postings.length,
      postings.map(([accountId]) => accountId),
      postings.map(([, amount]) => amount),
    );
  });
}

const transfer = (id: string, debit: string, credit: string, amountMinor: bigint) =>
  withTransaction(s.db, (tx) =>
    postEntry(tx, {
      id,
      postings: [
        { accountId: debit, amountMinor },
        { accountId: credit, amountMinor: -amountMinor },
      ],
    }),
  );

beforeAll(async () => {
  s = await openTestServices();
  ({ portfolioId } = await createPortfolio({ db: s.db, ...ctx, name: "Activity" }));
  a = (await createVenture({ db: s.db, ...ctx, portfolioId, name: "Alpha", goal: null })).id;
  b = (await createVenture({ db: s.db, ...ctx, portfolioId, name: "Beta", goal: null })).id;
  await withTransaction(s.db, async (tx) => {
    await openAccounts(tx, { portfolioId, currency: "USD" });
    await openAccounts(tx, { portfolioId, ventureId: a, currency: "USD" });
    await openAccounts(tx, { portfolioId, ventureId: a, currency: "EUR" });
    await openAccounts(tx, { portfolioId, ventureId: b, currency: "USD" });
  });
  const [row] = await s.db.$queryRawUnsafe<Array<{ day: string }>>(
    "SELECT to_char((now() AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day",
  );
  today = row!.day;

  // Budgets first (expenses draw on them), then history in date order...
  await rawEntry(s.db, "fund-a", 10, [
    [`${a}:budget:USD`, 1_000_000],
    [`${a}:equity:USD`, -1_000_000],
  ]);
  await rawEntry(s.db, "fund-b", 10, [
    [`${b}:budget:USD`, 500_000],
    [`${b}:equity:USD`, -500_000],
  ]);
  await rawEntry(s.db, "treasury-capital", 10, [
    [`${portfolioId}:cash:USD`, 9_000_000],
    [`${portfolioId}:equity:USD`, -9_000_000],
  ]);
  for (const [id, daysAgo, amount] of [
    ["a-sale-8", 8, 1_100],
    ["a-sale-5", 5, 1_200],
    ["a-sale-1", 1, 1_300],
  ] as const) {
    await rawEntry(s.db, id, daysAgo, [
      [`${a}:cash:USD`, amount],
      [`${a}:revenue:USD`, -amount],
    ]);
  }
  for (const [id, account, daysAgo, amount] of [
    ["a-models-8", "models", 8, 700],
    ["a-compute-6", "compute", 6, 650],
    ["a-models-3", "models", 3, 720],
  ] as const) {
    await rawEntry(s.db, id, daysAgo, [
      [`${a}:expense:${account}:USD`, amount],
      [`${a}:budget:USD`, -amount],
    ]);
  }
  await rawEntry(s.db, "b-marketing-2", 2, [
    [`${b}:expense:marketing:USD`, 2_000],
    [`${b}:budget:USD`, -2_000],
  ]);
  await rawEntry(s.db, "a-eur-sale-4", 4, [
    [`${a}:cash:EUR`, 900],
    [`${a}:revenue:EUR`, -900],
  ]);
  // ...then back-dated behind each account's latest day: into a gap and onto a day with totals.
  await rawEntry(s.db, "a-sale-6-late", 6, [
    [`${a}:cash:USD`, 50],
    [`${a}:revenue:USD`, -50],
  ]);
  await rawEntry(s.db, "a-sale-5-late", 5, [
    [`${a}:cash:USD`, 60],
    [`${a}:revenue:USD`, -60],
  ]);
  // A refund: a debit on revenue, so a day's net is not just its credits.
  await rawEntry(s.db, "a-refund-1", 1, [
    [`${a}:revenue:USD`, 300],
    [`${a}:cash:USD`, -300],
  ]);
  // Today, through the ledger's functions, from concurrent writers, with a raw back-dated entry
  // among them.
  await Promise.all([
    ...Array.from({ length: 6 }, (_, i) =>
      transfer(`a-models-today-${i}`, `${a}:expense:models:USD`, `${a}:budget:USD`, BigInt(100 + i)),
    ),
    ...Array.from({ length: 4 }, (_, i) =>
      transfer(`b-sale-today-${i}`, `${b}:cash:USD`, `${b}:revenue:USD`, BigInt(400 + i)),
    ),
    transfer("a-eur-sale-today", `${a}:cash:EUR`, `${a}:revenue:EUR`, 800n),
    rawEntry(s.db, "a-models-3-late", 3, [
      [`${a}:expense:models:USD`, 30],
      [`${a}:budget:USD`, -30],
    ]),
  ]);
});
afterAll(async () => {
  await s.close();
});

type SourceRow = {
  venture_id: string | null;
  currency: string;
  kind: "revenue" | "expense";
  code: string;
  day: string;
  debits: string;
  credits: string;
};

/** What readActivity should answer, summed from the postings and their entries' dates. */
function expected(
  source: SourceRow[],
  options: { from: Day; to: Day; ventureId?: string; byCode?: boolean; byDay?: boolean; byVenture?: boolean },
): ActivityRow[] {
  const groups = new Map<string, ActivityRow>();
  for (const row of source) {
    if (row.day < options.from || row.day > options.to) continue;
    if (options.ventureId && row.venture_id !== options.ventureId) continue;
    const group: ActivityRow = {
      ventureId: (options.byVenture ?? true) ? row.venture_id : null,
      currency: row.currency as ActivityRow["currency"],
      kind: row.kind,
      code: options.byCode ? row.code : null,
      day: options.byDay ? row.day : null,
      amountMinor: 0n,
    };
    const key = JSON.stringify([group.ventureId, group.currency, group.kind, group.code, group.day]);
    const found = groups.get(key) ?? group;
    const debits = BigInt(row.debits);
    const credits = BigInt(row.credits);
    found.amountMinor += row.kind === "revenue" ? credits - debits : debits - credits;
    groups.set(key, found);
  }
  return sorted([...groups.values()]);
}

function sorted(rows: ActivityRow[]): ActivityRow[] {
  const key = (r: ActivityRow) => JSON.stringify([r.ventureId, r.currency, r.kind, r.code, r.day]);
  return [...rows].sort((x, y) => key(x).localeCompare(key(y)));
}

describe("readActivity", () => {
  it("equals the postings summed per period, for every period of the last ten days and every grouping", async () => {
    expect((await verifyDailyTotals({ db: s.db, portfolioId })).mismatches).toEqual([]);
    const source = await s.db.$queryRawUnsafe<SourceRow[]>(
      `SELECT a.venture_id, a.currency::text AS currency, a.kind, a.code,
              to_char((e.created_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day,
              sum(greatest(p.amount_minor, 0))::text AS debits, sum(greatest(-p.amount_minor, 0))::text AS credits
         FROM ledger_postings p
         JOIN ledger_entries e ON e.id = p.entry_id
         JOIN ledger_accounts a ON a.id = p.account_id
        WHERE a.portfolio_id = $1 AND a.kind IN ('revenue', 'expense')
        GROUP BY 1, 2, 3, 4, 5`,
      portfolioId,
    );
    // Both currencies and eight distinct days with revenue or spend.
    expect(new Set(source.map((r) => r.currency))).toEqual(new Set(["USD", "EUR"]));
    expect(new Set(source.map((r) => r.day)).size).toBe(8);
    const groupings = [
      {},
      { byCode: true },
      { byVenture: false },
      { byDay: true, byVenture: false },
      { byCode: true, byDay: true },
      { ventureId: a },
      { ventureId: b, byCode: true, byDay: true },
    ];
    let compared = 0;
    for (let fromAgo = 10; fromAgo >= 0; fromAgo--) {
      for (let toAgo = fromAgo; toAgo >= 0; toAgo--) {
        const period = { from: addDays(today, -fromAgo), to: addDays(today, -toAgo) };
        for (const grouping of groupings) {
          const options = { portfolioId, ...period, ...grouping };
          expect(sorted(await readActivity(s.db, options)), JSON.stringify(options)).toEqual(
            expected(source, options),
          );
          compared += 1;
        }
      }
    }
    expect(compared).toBe(66 * groupings.length);
  });

  it("answers nothing for a period without postings, and nothing for another portfolio's accounts", async () => {
    const quiet = addDays(today, -9);
    expect(await readActivity(s.db, { portfolioId, from: quiet, to: quiet })).toEqual([]);
    const { portfolioId: other } = await createPortfolio({ db: s.db, ...ctx, name: "Other" });
    expect(await readActivity(s.db, { portfolioId: other, from: addDays(today, -30), to: today })).toEqual(
      [],
    );
    expect(
      await readActivity(s.db, { portfolioId: other, ventureId: a, from: addDays(today, -30), to: today }),
    ).toEqual([]);
  });

  it("gives today's revenue and spend, with every concurrent write counted once", async () => {
    const rows = await readActivity(s.db, { portfolioId, from: today, to: today, byCode: true });
    const amount = (ventureId: string, currency: string, code: string) =>
      rows.find((r) => r.ventureId === ventureId && r.currency === currency && r.code === code)?.amountMinor;
    expect(amount(a, "USD", "expense:models")).toBe(100n + 101n + 102n + 103n + 104n + 105n);
    expect(amount(b, "USD", "revenue")).toBe(400n + 401n + 402n + 403n);
    expect(amount(a, "EUR", "revenue")).toBe(800n);
    expect(amount(a, "USD", "revenue")).toBeUndefined();
  });
});
