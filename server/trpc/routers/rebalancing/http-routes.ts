// The HTTP API rows of portfolio rebalancing (ADR 0016). Spread into httpRoutes
// (server/trpc/http-api.ts), which also documents them in /api/openapi.json. Amounts are strings of
// digits in minor units.
import { z } from "zod";
import type { HttpRoute } from "@/server/trpc/http-api";
import {
  recommendationsOutput,
  requestTransferInput,
  transferOutput,
  transferSummaryOutput,
} from "./schemas";

/** Present query parameters only, so an absent one stays absent; numbers are parsed (NaN is refused). */
function pick(query: URLSearchParams, names: string[], numbers: string[] = []): Record<string, unknown> {
  return Object.fromEntries(
    names
      .filter((name) => query.has(name))
      .map((name) => [name, numbers.includes(name) ? Number(query.get(name)) : query.get(name)]),
  );
}

export const rebalancingHttpRoutes: HttpRoute[] = [
  {
    method: "GET",
    path: "/rebalancing/recommendations",
    summary:
      "Every venture's budget, burn per day and runway over the last 30 days and its revenue growth against the 30 before, with recommended budget moves from ventures with a long runway and no revenue growth to ventures with a short runway and growing revenue, each with the figures behind it (every role).",
    tag: "rebalancing",
    query: z.object({ portfolioId: z.string() }),
    output: recommendationsOutput,
    successStatus: 200,
    call: (caller, { query }) =>
      caller.rebalancing.recommendations(pick(query, ["portfolioId"]) as { portfolioId: string }),
  },
  {
    method: "POST",
    path: "/rebalancing/transfers",
    summary:
      "Move budget from one venture of the portfolio to another (founder, finance controller or admin): a money intent through the treasury policy (budget moves always need a finance controller's approval, two approvers above the four-eyes threshold; paused or frozen → denied), held on the source's budget. Settled as one ledger entry when approved. Idempotent by idempotencyKey.",
    tag: "rebalancing",
    body: requestTransferInput,
    output: transferOutput,
    successStatus: 201,
    call: (caller, { body }) =>
      caller.rebalancing.requestTransfer(body as z.infer<typeof requestTransferInput>),
  },
  {
    method: "GET",
    path: "/rebalancing/transfers",
    summary:
      "The portfolio's budget transfers, newest first (ventureId: only those from or to it), with their status and the ledger entry that settled them.",
    tag: "rebalancing",
    query: z.object({
      portfolioId: z.string(),
      ventureId: z.string().optional(),
      limit: z.string().optional(),
    }),
    output: z.array(transferSummaryOutput),
    successStatus: 200,
    call: (caller, { query }) =>
      caller.rebalancing.listTransfers(
        pick(query, ["portfolioId", "ventureId", "limit"], ["limit"]) as { portfolioId: string },
      ),
  },
];
