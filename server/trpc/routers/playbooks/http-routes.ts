// The HTTP API rows of scale-up playbooks (ADR 0017), spread into httpRoutes
// (server/trpc/http-api.ts) and so documented in /api/openapi.json with the procedures' schemas.
import { z } from "zod";
import type { HttpRoute } from "@/server/trpc/http-api";
import { scaleUpPlaybookOutput, scaleUpRunOutput, setPlaybookInput, setPlaybookOutput } from "./schemas";

const setBody = setPlaybookInput.omit({ ventureId: true });

export const playbooksHttpRoutes: HttpRoute[] = [
  {
    method: "GET",
    path: "/ventures/{id}/playbook",
    summary:
      "A venture's scale-up playbook and where it stands: trailing revenue against the threshold, fired or armed, the venture's concurrency now, and its latest run with its approvals (0, 1 or 2 of 2).",
    tag: "ventures",
    output: scaleUpPlaybookOutput,
    successStatus: 200,
    call: (caller, { params }) => caller.playbooks.get({ ventureId: params.id! }),
  },
  {
    method: "POST",
    path: "/ventures/{id}/playbook",
    summary:
      "Configure the venture's scale-up playbook (founder, finance controller or admin): when trailing revenue reaches the threshold it fires once, asking the portfolio treasury for the budget increase with two distinct approvers; once approved the venture's concurrency rises to the target. A save that changes nothing records nothing; a changed one is a new version, armed again.",
    tag: "ventures",
    body: setBody,
    output: setPlaybookOutput,
    successStatus: 200,
    call: (caller, { params, body }) =>
      caller.playbooks.set({ ...((body ?? {}) as z.infer<typeof setBody>), ventureId: params.id! }),
  },
  {
    method: "GET",
    path: "/ventures/{id}/playbook/runs",
    summary:
      "The runs of a venture's scale-up playbook, newest first: waiting for approvals, approved, concurrency raised, denied or expired.",
    tag: "ventures",
    query: z.object({ limit: z.string().optional().describe("runs to list, 1-100 (default 20)") }),
    output: z.array(scaleUpRunOutput),
    successStatus: 200,
    call: (caller, { params, query }) =>
      caller.playbooks.listRuns({
        ventureId: params.id!,
        ...(query.has("limit") ? { limit: Number(query.get("limit")) } : {}),
      }),
  },
];
