// The HTTP API rows of treasury money intents and freezes (TREAS-001/006/007). Spread into
// httpRoutes (server/trpc/http-api.ts); amounts are strings of digits in minor units.
import { z } from "zod";
import type { HttpRoute } from "@/server/trpc/http-api";
import { createIntentInput, decideIntentInput, freezeInput, freezeOutput, intentOutput } from "./schemas";

const decideBody = decideIntentInput.omit({ intentId: true });

function object(body: unknown): Record<string, unknown> {
  return (body ?? {}) as Record<string, unknown>;
}

export const treasuryHttpRoutes: HttpRoute[] = [
  {
    method: "POST",
    path: "/intents",
    summary:
      "Create a money intent (founder or admin), decided at once by the treasury policy: approved (budget held), pending_approval or denied. Idempotent by idempotencyKey.",
    tag: "treasury",
    body: createIntentInput,
    output: intentOutput,
    successStatus: 201,
    call: (caller, { body }) => caller.treasury.createIntent(body as z.infer<typeof createIntentInput>),
  },
  {
    method: "GET",
    path: "/intents/{id}",
    summary: "Read one money intent, with its policy decision and approvals.",
    tag: "treasury",
    query: z.object({ portfolioId: z.string() }),
    output: intentOutput,
    successStatus: 200,
    call: (caller, { params, query }) =>
      caller.treasury.getIntent({ portfolioId: query.get("portfolioId") ?? "", intentId: params.id! }),
  },
  {
    method: "POST",
    path: "/intents/{id}/approve",
    summary:
      "Approve a pending money intent with a note (finance controller or admin, never the requester; two distinct approvers above the four-eyes threshold).",
    tag: "treasury",
    body: decideBody,
    output: intentOutput,
    successStatus: 200,
    call: (caller, { params, body }) =>
      caller.treasury.approveIntent({
        ...(object(body) as z.infer<typeof decideBody>),
        intentId: params.id!,
      }),
  },
  {
    method: "POST",
    path: "/intents/{id}/deny",
    summary:
      "Deny a pending money intent with a note (finance controller or admin); its budget hold is released.",
    tag: "treasury",
    body: decideBody,
    output: intentOutput,
    successStatus: 200,
    call: (caller, { params, body }) =>
      caller.treasury.denyIntent({ ...(object(body) as z.infer<typeof decideBody>), intentId: params.id! }),
  },
  {
    method: "POST",
    path: "/intents/{id}/void-payout",
    summary:
      "Void the budget hold of an approved payment that has not been sent to the rail, with a note (finance controller or admin): the budget is available again and the payment ends failed. A payment the worker is sending is refused (409).",
    tag: "treasury",
    body: decideBody,
    output: intentOutput,
    successStatus: 200,
    call: (caller, { params, body }) =>
      caller.treasury.voidPayout({ ...(object(body) as z.infer<typeof decideBody>), intentId: params.id! }),
  },
  {
    method: "POST",
    path: "/treasury/freeze",
    summary:
      "Freeze a venture's treasury, or the whole portfolio's without ventureId (finance controller or admin); every new intent is denied.",
    tag: "treasury",
    body: freezeInput,
    output: freezeOutput,
    successStatus: 200,
    call: (caller, { body }) => caller.treasury.freeze(body as z.infer<typeof freezeInput>),
  },
  {
    method: "POST",
    path: "/treasury/unfreeze",
    summary:
      "Lift a freeze, with a reason (finance controller or admin). Returns null when nothing was frozen.",
    tag: "treasury",
    body: freezeInput,
    output: freezeOutput.nullable(),
    successStatus: 200,
    call: (caller, { body }) => caller.treasury.unfreeze(body as z.infer<typeof freezeInput>),
  },
];
