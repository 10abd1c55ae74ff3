// The HTTP API rows of reconciliation and sandbox payments (TREAS-008/009, ADR 0011). Spread into
// httpRoutes (server/trpc/http-api.ts); amounts are strings of digits in minor units.
import { z } from "zod";
import type { HttpRoute } from "@/server/trpc/http-api";
import { receiptOutput, reconcileInput, reconciliationOutput, sandboxPaymentInput } from "./rails-procedures";

export const treasuryRailsHttpRoutes: HttpRoute[] = [
  {
    method: "POST",
    path: "/treasury/reconciliations",
    summary:
      "Reconcile the ledger against a rail's statement for a period (finance controller or admin). Mismatches become findings and, unless freezeOnBreak is false, freeze the ventures they belong to.",
    tag: "treasury",
    body: reconcileInput,
    output: reconciliationOutput,
    successStatus: 201,
    call: (caller, { body }) => caller.treasury.reconcile(body as z.infer<typeof reconcileInput>),
  },
  {
    method: "GET",
    path: "/treasury/reconciliations",
    summary: "The latest reconciliation runs of a portfolio (finance controller or admin).",
    tag: "treasury",
    query: z.object({ portfolioId: z.string() }),
    output: z.array(reconciliationOutput),
    successStatus: 200,
    call: (caller, { query }) =>
      caller.treasury.listReconciliations({ portfolioId: query.get("portfolioId") ?? "" }),
  },
  {
    method: "GET",
    path: "/treasury/reconciliations/{id}",
    summary: "One reconciliation run with its mismatches (finance controller or admin).",
    tag: "treasury",
    query: z.object({ portfolioId: z.string() }),
    output: reconciliationOutput,
    successStatus: 200,
    call: (caller, { params, query }) =>
      caller.treasury.getReconciliation({ portfolioId: query.get("portfolioId") ?? "", runId: params.id! }),
  },
  {
    method: "POST",
    path: "/treasury/sandbox-payments",
    summary:
      "A customer pays a venture through the built-in sandbox rail (founder or admin): the payment is booked and posted as revenue. Idempotent by idempotencyKey.",
    tag: "treasury",
    body: sandboxPaymentInput,
    output: receiptOutput,
    successStatus: 201,
    call: (caller, { body }) =>
      caller.treasury.receiveSandboxPayment(body as z.infer<typeof sandboxPaymentInput>),
  },
];
