// The HTTP API rows of treasury funding and reports (ADR 0012). Spread into httpRoutes
// (server/trpc/http-api.ts), which also documents them in /api/openapi.json. Amounts are strings of
// digits in minor units; days are YYYY-MM-DD (UTC).
import { z } from "zod";
import type { HttpRoute } from "@/server/trpc/http-api";
import {
  allocateInput,
  allocationOutput,
  csvFileOutput,
  dailySeriesOutput,
  depositInput,
  depositOutput,
  profitAndLossOutput,
  runwayOutput,
  trialBalanceOutput,
  ventureBalancesOutput,
} from "./funding-schemas";

const allocateBody = allocateInput.omit({ ventureId: true });

/** Present query parameters only, so an absent one stays absent; numbers are parsed (NaN is refused). */
function pick(query: URLSearchParams, names: string[], numbers: string[] = []): Record<string, unknown> {
  return Object.fromEntries(
    names
      .filter((name) => query.has(name))
      .map((name) => [name, numbers.includes(name) ? Number(query.get(name)) : query.get(name)]),
  );
}

const portfolioQuery = z.object({ portfolioId: z.string(), ventureId: z.string().optional() });
const periodQuery = portfolioQuery.extend({ from: z.string().optional(), to: z.string().optional() });

export const treasuryFundingHttpRoutes: HttpRoute[] = [
  {
    method: "POST",
    path: "/treasury/deposits",
    summary:
      "Record capital deposited into the portfolio treasury (finance controller or admin): treasury cash is debited and owners' equity credited. Idempotent by idempotencyKey.",
    tag: "treasury",
    body: depositInput,
    output: depositOutput,
    successStatus: 201,
    call: (caller, { body }) => caller.treasury.deposit(body as z.infer<typeof depositInput>),
  },
  {
    method: "POST",
    path: "/ventures/{id}/allocations",
    summary:
      "Request budget for a venture from the portfolio treasury (founder or admin): a money intent through the treasury policy (budget moves always need a finance controller's approval), held on the treasury's cash. Settled (the venture's budget credited) when approved. Idempotent by idempotencyKey.",
    tag: "treasury",
    body: allocateBody,
    output: allocationOutput,
    successStatus: 201,
    call: (caller, { params, body }) =>
      caller.treasury.allocate({
        ...((body ?? {}) as z.infer<typeof allocateBody>),
        ventureId: params.id!,
      }),
  },
  {
    method: "GET",
    path: "/ventures/{id}/balances",
    summary:
      "A venture's book: every account with posted, pending and available balances, and per currency its available budget, held amounts, cash, revenue, expenses and funding.",
    tag: "treasury",
    output: ventureBalancesOutput,
    successStatus: 200,
    call: (caller, { params }) => caller.treasury.ventureBalances({ ventureId: params.id! }),
  },
  {
    method: "GET",
    path: "/ledger/trial-balance",
    summary:
      "Trial balance of the portfolio (treasury and every venture) or of one venture's book (ventureId), per currency: each account's balance as debit or credit, and totals whose difference is zero.",
    tag: "treasury",
    query: portfolioQuery,
    output: trialBalanceOutput,
    successStatus: 200,
    call: (caller, { query }) =>
      caller.treasury.trialBalance(pick(query, ["portfolioId", "ventureId"]) as { portfolioId: string }),
  },
  {
    method: "GET",
    path: "/treasury/reports/pnl",
    summary:
      "Profit and loss per venture over [from, to] (days, both included; default the last 30): revenue, expenses by category and net income, per currency.",
    tag: "treasury",
    query: periodQuery,
    output: profitAndLossOutput,
    successStatus: 200,
    call: (caller, { query }) =>
      caller.treasury.profitAndLoss(
        pick(query, ["portfolioId", "ventureId", "from", "to"]) as { portfolioId: string },
      ),
  },
  {
    method: "GET",
    path: "/treasury/reports/runway",
    summary:
      "Burn and runway per venture and for the portfolio: net spend per day over the last windowDays days (default 30), and the days the available money lasts at that rate (null when nothing is burnt).",
    tag: "treasury",
    query: portfolioQuery.extend({ windowDays: z.string().optional() }),
    output: runwayOutput,
    successStatus: 200,
    call: (caller, { query }) =>
      caller.treasury.runway(
        pick(query, ["portfolioId", "ventureId", "windowDays"], ["windowDays"]) as { portfolioId: string },
      ),
  },
  {
    method: "GET",
    path: "/treasury/reports/daily",
    summary: "Revenue, expenses and net per day over [from, to] (default the last 30 days), per currency.",
    tag: "treasury",
    query: periodQuery,
    output: dailySeriesOutput,
    successStatus: 200,
    call: (caller, { query }) =>
      caller.treasury.dailySeries(
        pick(query, ["portfolioId", "ventureId", "from", "to"]) as { portfolioId: string },
      ),
  },
  {
    method: "GET",
    path: "/treasury/reports/{report}/csv",
    summary:
      "A report as CSV (text/csv, with a file name): report is trial-balance, pnl, runway or daily; from/to and windowDays as for the JSON reports. Amounts in major units with the currency's decimals.",
    tag: "treasury",
    query: periodQuery.extend({ windowDays: z.string().optional() }),
    output: csvFileOutput,
    text: { contentType: "text/csv; charset=utf-8" },
    successStatus: 200,
    call: (caller, { params, query }) =>
      caller.treasury.reportCsv({
        ...(pick(query, ["portfolioId", "ventureId", "from", "to", "windowDays"], ["windowDays"]) as {
          portfolioId: string;
        }),
        report: params.report as "pnl",
      }),
  },
];
