// The treasury reports over the real database, after a sequence of deposits, allocations approved in
// the inbox, spends settled in full and in part, revenue and a back-dated raw entry: every figure
// adds up to the ledger (P&L equals the accounts' posted balances, the trial balance sums to zero,
// the daily series sums to the P&L), the CSV files say the same, and tenants stay apart.
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticateApiToken, createApiToken } from "@/server/contexts/identity/api-tokens";
import { createLogger } from "@/server/shared/logger";
import { handleHttpApi } from "@/server/trpc/http-api";
import { openTestServices, type TestServices } from "@/test/services";
import { getBalances } from "../ledger/get-balances";
import { trialBalance } from "../ledger/trial-balance";
import { dailySeries } from "./daily-series";
import { addDays, dayOf } from "./period";
import { profitAndLoss } from "./profit-and-loss";
import { reportCsv } from "./report-csv";
import { runwayReport } from "./runway";
import { type SeededPortfolio, seededPortfolio } from "./testing";
import { trialBalanceReport } from "./trial-balance-report";
import { verifyDailyTotals } from "./verify-daily-totals";

let s: TestServices;
let p: SeededPortfolio;
const today = () => dayOf(new Date());
const allTime = () => ({ from: addDays(today(), -3000), to: today() });

beforeAll(async () => {
  s = await openTestServices();
  p = await seededPortfolio(s.db);
});
afterAll(async () => {
  await s.close();
});

async function posted(accountId: string): Promise<bigint> {
  const [balance] = await getBalances(s.db, { accountIds: [accountId] });
  return balance!.postedMinor;
}

describe("daily totals", () => {
  it("equal the postings recomputed per account and day, back-dated raw entries included", async () => {
    const result = await verifyDailyTotals({ db: s.db, portfolioId: p.portfolioId });
    expect(result.mismatches).toEqual([]);
    expect(result.checkedRows).toBeGreaterThan(10);
    const [row] = await s.db.$queryRawUnsafe<Array<{ debits: bigint }>>(
      "SELECT debits_minor AS debits FROM ledger_daily_totals WHERE account_id = $1 AND day = $2::date",
      `${p.b}:expense:advertising:USD`,
      p.backdatedDay,
    );
    expect(row?.debits).toBe(7_000n);
  });

  it("cannot be written except by the ledger's trigger", async () => {
    await expect(
      s.db.$executeRawUnsafe(
        "UPDATE ledger_daily_totals SET debits_minor = debits_minor + 1 WHERE account_id = $1",
        `${p.a}:revenue:USD`,
      ),
    ).rejects.toThrow(/derived from postings/);
    await expect(
      s.db.$executeRawUnsafe(
        "INSERT INTO ledger_daily_totals (account_id, day, debits_minor, credits_minor, postings) VALUES ($1, current_date, 1, 0, 1)",
        `${p.a}:made-up:USD`,
      ),
    ).rejects.toThrow(/derived from postings/);
  });
});

describe("profit and loss", () => {
  it("over all time equals each revenue and expense account's posted balance", async () => {
    const pnl = await profitAndLoss({ db: s.db, portfolioId: p.portfolioId, ...allTime() });
    const line = (id: string) => pnl.ventures.find((l) => l.ventureId === id)!;
    for (const [id, revenue] of [
      [p.a, p.expected.revenue.a],
      [p.b, p.expected.revenue.b],
    ] as const) {
      expect(line(id).revenueMinor).toBe(revenue);
      expect(line(id).revenueMinor).toBe(await posted(`${id}:revenue:USD`));
      for (const e of line(id).expensesByCategory) {
        expect(e.amountMinor).toBe(await posted(`${id}:expense:${e.category}:USD`));
      }
    }
    expect(line(p.a).expensesByCategory).toEqual([
      { category: "saas", amountMinor: p.expected.expenses.a.saas },
      { category: "model_inference", amountMinor: p.expected.expenses.a.model_inference },
    ]);
    expect(line(p.b).expensesMinor).toBe(p.expected.expenses.b.advertising);
    expect(line(p.a).netIncomeMinor).toBe(15_000n - 50_000n);
    // A venture without activity still has its line, at zero.
    expect(line(p.c)).toMatchObject({ revenueMinor: 0n, expensesMinor: 0n, netIncomeMinor: 0n });
    const [usd] = pnl.totals;
    expect(usd).toEqual({
      currency: "USD",
      revenueMinor: pnl.ventures.reduce((sum, l) => sum + l.revenueMinor, 0n),
      expensesMinor: pnl.ventures.reduce((sum, l) => sum + l.expensesMinor, 0n),
      netIncomeMinor: pnl.ventures.reduce((sum, l) => sum + l.netIncomeMinor, 0n),
    });
    expect(usd!.expensesMinor).toBe(50_000n + 32_000n);
  });

  it("over a recent period leaves out what was posted before it", async () => {
    const pnl = await profitAndLoss({ db: s.db, portfolioId: p.portfolioId, from: addDays(today(), -4) });
    expect(pnl.period).toEqual({ from: addDays(today(), -4), to: today(), days: 5 });
    expect(pnl.ventures.find((l) => l.ventureId === p.b)!.expensesMinor).toBe(p.expected.todayExpenses.b);
    const one = await profitAndLoss({ db: s.db, portfolioId: p.portfolioId, ventureId: p.b, ...allTime() });
    expect(one.ventures.map((l) => l.ventureId)).toEqual([p.b]);
  });

  it("refuses a bad period, naming the field", async () => {
    await expect(
      profitAndLoss({ db: s.db, portfolioId: p.portfolioId, from: "2026-13-01" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", details: { fields: { from: expect.any(String) } } });
  });
});

describe("trial balance", () => {
  it("shows every account in one column and totals that add up to zero per currency", async () => {
    const report = await trialBalanceReport({ db: s.db, portfolioId: p.portfolioId });
    const ledger = await trialBalance(s.db, { portfolioId: p.portfolioId });
    expect(report.currencies).toHaveLength(1);
    const usd = report.currencies[0]!;
    expect(usd.rows).toHaveLength(ledger.accounts.length);
    expect(usd.totalDebitMinor).toBe(usd.totalCreditMinor);
    expect(usd.differenceMinor).toBe(0n);
    expect(usd.totalDebitMinor).toBeGreaterThan(0n);
    expect(usd.totalDebitMinor).toBe(usd.rows.reduce((sum, r) => sum + r.debitMinor, 0n));
    // The held spend shows as pending on both sides.
    expect(usd.totalPendingDebitsMinor).toBe(p.expected.pendingHoldMinor);
    expect(usd.totalPendingCreditsMinor).toBe(p.expected.pendingHoldMinor);
    const cash = usd.rows.find((r) => r.accountId === `${p.portfolioId}:cash:USD`)!;
    expect(cash).toMatchObject({ ventureId: null, debitMinor: 5_000_000n - 1_300_000n, creditMinor: 0n });
    expect(usd.rows.find((r) => r.accountId === `${p.a}:budget:USD`)?.ventureName).toBe("Alpha Robots");
    // One venture's book balances on its own.
    const book = await trialBalanceReport({ db: s.db, portfolioId: p.portfolioId, ventureId: p.b });
    expect(book.currencies[0]!.differenceMinor).toBe(0n);
    expect(book.currencies[0]!.rows.every((r) => r.ventureId === p.b)).toBe(true);
  });
});

describe("daily series and runway", () => {
  it("sum, day by day, to the P&L of the same period", async () => {
    const from = addDays(today(), -29);
    const series = await dailySeries({ db: s.db, portfolioId: p.portfolioId, from, to: today() });
    const pnl = await profitAndLoss({ db: s.db, portfolioId: p.portfolioId, from, to: today() });
    const points = series.currencies[0]!.points;
    expect(points).toHaveLength(30);
    expect(points.reduce((sum, x) => sum + x.revenueMinor, 0n)).toBe(pnl.totals[0]!.revenueMinor);
    expect(points.reduce((sum, x) => sum + x.expensesMinor, 0n)).toBe(pnl.totals[0]!.expensesMinor);
    expect(points.find((x) => x.day === p.backdatedDay)).toMatchObject({
      expensesMinor: 7_000n,
      revenueMinor: 0n,
    });
    expect(points.at(-1)).toMatchObject({ day: today(), revenueMinor: 15_000n, expensesMinor: 75_000n });
  });

  it("divides net spend by the days each venture has lived, and the money available by that burn", async () => {
    const report = await runwayReport({ db: s.db, portfolioId: p.portfolioId, windowDays: 30 });
    const a = report.ventures.find((v) => v.ventureId === p.a)!;
    // Created today: one day of life in the window.
    expect(a.days).toBe(1);
    expect(a.netSpendMinor).toBe(50_000n - 15_000n);
    expect(a.budgetAvailableMinor).toBe(1_000_000n - 50_000n - 60_000n);
    expect(a.cashAvailableMinor).toBe(15_000n);
    expect(a.runwayDays).toBe(Number(((1_000_000n - 110_000n + 15_000n) * 1n) / 35_000n));
    const b = report.ventures.find((v) => v.ventureId === p.b)!;
    expect(b).toMatchObject({
      netBurnPerDayMinor: 32_000n,
      availableMinor: 300_000n - 32_000n,
      runwayDays: 8,
    });
    const c = report.ventures.find((v) => v.ventureId === p.c)!;
    expect(c).toMatchObject({ netSpendMinor: 0n, runwayDays: null, availableMinor: 0n });
    const [portfolio] = report.portfolio;
    expect(portfolio).toMatchObject({
      currency: "USD",
      treasuryCashAvailableMinor: 5_000_000n - 1_300_000n,
      venturesAvailableMinor: a.availableMinor + b.availableMinor,
      netSpendMinor: 82_000n - 15_000n,
    });
  });
});

describe("CSV exports", () => {
  it("write the trial balance with a totals row whose debit equals its credit", async () => {
    const file = await reportCsv({ db: s.db, portfolioId: p.portfolioId, report: "trial-balance" });
    expect(file.contentType).toMatch(/^text\/csv/);
    expect(file.fileName).toBe(`${p.portfolioId}-trial-balance-${today()}.csv`);
    const lines = file.content.trimEnd().split("\r\n");
    expect(lines[0]).toBe("currency,book,account,code,kind,debit,credit");
    const total = lines.find((l) => l.startsWith("USD,TOTAL,"))!.split(",");
    expect(total[5]).toBe(total[6]);
    expect(lines).toContain(`USD,Portfolio treasury,${p.portfolioId}:cash:USD,cash,asset,37000.00,0.00`);
  });

  it("write the P&L lines in major units, with totals", async () => {
    const file = await reportCsv({ db: s.db, portfolioId: p.portfolioId, report: "pnl", ...allTime() });
    expect(file.content).toContain(`Alpha Robots,${p.a},USD,revenue,,150.00\r\n`);
    expect(file.content).toContain(`Alpha Robots,${p.a},USD,expense,saas,300.00\r\n`);
    expect(file.content).toContain(`Alpha Robots,${p.a},USD,net_income,,-350.00\r\n`);
    expect(file.content).toContain("TOTAL,,USD,expenses,,820.00\r\n");
    const runway = await reportCsv({ db: s.db, portfolioId: p.portfolioId, report: "runway" });
    expect(runway.content).toContain(`Beta Kits,${p.b},USD,1,0.00,320.00,320.00,2680.00,8\r\n`);
    await expect(
      reportCsv({ db: s.db, portfolioId: p.portfolioId, report: "balance-sheet" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      details: { fields: { report: expect.any(String) } },
    });
  });

  it("download over HTTP as text/csv with a file name, for members only", async () => {
    const token = async (who: "auditor" | "outsider") =>
      (
        await createApiToken({
          db: s.db,
          actor: { type: "system", id: "test" },
          correlationId: "cor_csv",
          email: p.principals[who].email,
          name: "csv",
          ttlDays: 1,
        })
      ).token;
    const get = async (who: "auditor" | "outsider", path: string) =>
      handleHttpApi(new Request(`http://test/api/v1${path}`), path.split("?")[0]!, {
        db: s.db,
        log: createLogger({ name: "test", level: "silent" }),
        principal: await authenticateApiToken({ db: s.db, token: await token(who) }),
        correlationId: "cor_csv_test",
      });
    const ok = await get("auditor", `/treasury/reports/pnl/csv?portfolioId=${p.portfolioId}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(ok.headers.get("content-disposition")).toMatch(
      new RegExp(`^attachment; filename="${p.portfolioId}-pnl-\\d{4}-\\d{2}-\\d{2}_${today()}\\.csv"$`),
    );
    expect(await ok.text()).toContain("venture,venture_id,currency,line,category,amount\r\n");
    const json = await get("auditor", `/ledger/trial-balance?portfolioId=${p.portfolioId}`);
    expect(json.status).toBe(200);
    expect(((await json.json()) as { currencies: Array<{ differenceMinor: string }> }).currencies).toEqual([
      expect.objectContaining({ differenceMinor: "0" }),
    ]);
    const bad = await get(
      "auditor",
      `/treasury/reports/runway/csv?portfolioId=${p.portfolioId}&windowDays=abc`,
    );
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { fields: Record<string, string> } }).error.fields).toHaveProperty(
      "windowDays",
    );
    expect((await get("outsider", `/treasury/reports/pnl/csv?portfolioId=${p.portfolioId}`)).status).toBe(
      404,
    );
    expect((await get("outsider", `/ledger/trial-balance?portfolioId=${p.portfolioId}`)).status).toBe(404);
  });
});

describe("tenancy", () => {
  it("gives a member of another portfolio NOT_FOUND for every report", async () => {
    const outsider = p.caller("outsider");
    const attempts = [
      () => outsider.treasury.trialBalance({ portfolioId: p.portfolioId }),
      () => outsider.treasury.profitAndLoss({ portfolioId: p.portfolioId }),
      () => outsider.treasury.runway({ portfolioId: p.portfolioId }),
      () => outsider.treasury.dailySeries({ portfolioId: p.portfolioId }),
      () => outsider.treasury.reportCsv({ portfolioId: p.portfolioId, report: "pnl" }),
      () => outsider.treasury.ventureBalances({ ventureId: p.a }),
      () => outsider.treasury.listDeposits({ portfolioId: p.portfolioId }),
    ];
    for (const attempt of attempts) {
      const error = await attempt().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe("NOT_FOUND");
    }
    // Its own (empty) portfolio reports nothing of this one.
    const own = await outsider.treasury.trialBalance({ portfolioId: p.otherPortfolioId });
    expect(own.currencies).toEqual([]);
  });
});
