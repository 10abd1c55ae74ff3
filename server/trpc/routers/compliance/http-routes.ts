// The HTTP API rows of personal data and findings (COMPL-004…006): DSAR export, erasure, findings
// and their status. Spread into httpRoutes (server/trpc/http-api.ts), documented in
// /api/openapi.json with the schemas the procedures validate with.
import { z } from "zod";
import type { HttpRoute } from "@/server/trpc/http-api";
import { subjectInput } from "./export-subject-data";
import { listFindingsInput } from "./list-findings";
import { dataSubjectExportOutput, erasureOutput, findingOutput } from "./outputs";
import { updateFindingInput } from "./update-finding";

const findingStatusBody = updateFindingInput.omit({ findingId: true });

function object(body: unknown): Record<string, unknown> {
  return (body ?? {}) as Record<string, unknown>;
}

export const complianceHttpRoutes: HttpRoute[] = [
  {
    method: "POST",
    path: "/compliance/dsar",
    summary:
      "A data subject access request (auditor or admin): every event and read model holding personal data about the subject named by `subject` (a subject id, user id or email address), opened and readable, as JSON. Recorded as compliance.subject_data_exported.",
    tag: "compliance",
    body: subjectInput,
    output: dataSubjectExportOutput,
    successStatus: 200,
    call: (caller, { body }) => caller.compliance.exportSubjectData(body as z.infer<typeof subjectInput>),
  },
  {
    method: "POST",
    path: "/compliance/erasures",
    summary:
      'Erase a data subject (admin): their key is destroyed so every sealed field of theirs reads "[erased]", clear copies in read models are scrubbed, and compliance.subject_erased is recorded; the hash chain and checkpoints still verify. Erasing again changes nothing.',
    tag: "compliance",
    body: subjectInput,
    output: z.array(erasureOutput),
    successStatus: 200,
    call: (caller, { body }) => caller.compliance.eraseSubject(body as z.infer<typeof subjectInput>),
  },
  {
    method: "GET",
    path: "/findings",
    summary:
      "Findings of a portfolio and the deployment-wide ones (COMPL-006): open, then acknowledged, then resolved.",
    tag: "compliance",
    query: listFindingsInput,
    output: z.array(findingOutput),
    successStatus: 200,
    call: (caller, { query }) => {
      const input: Record<string, unknown> = { portfolioId: query.get("portfolioId") ?? "" };
      if (query.has("status")) input.status = query.get("status");
      if (query.has("kind")) input.kind = query.get("kind");
      if (query.has("limit")) input.limit = Number(query.get("limit"));
      return caller.compliance.listFindings(input as z.infer<typeof listFindingsInput>);
    },
  },
  {
    method: "POST",
    path: "/findings/{id}/status",
    summary: "Acknowledge, resolve (a note saying why is required) or reopen a finding (auditor or admin).",
    tag: "compliance",
    body: findingStatusBody,
    output: findingOutput,
    successStatus: 200,
    call: (caller, { params, body }) =>
      caller.compliance.updateFinding({
        ...object(body),
        findingId: params.id!,
      } as z.infer<typeof updateFindingInput>),
  },
];
