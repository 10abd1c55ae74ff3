// The HTTP API rows of artifacts (ARTIF-001…007), spread into httpRoutes (server/trpc/http-api.ts)
// and so documented in /api/openapi.json with the procedures' own zod schemas. /artifacts/{id}
// routes first ask which venture the artifact belongs to (locate, members only), then call the
// procedure by venture, which authorizes the role again.
import { z } from "zod";
import type { HttpRoute } from "@/server/trpc/http-api";
import { fileDownloadOutput } from "../compliance/outputs";
import {
  artifactDetailOutput,
  artifactOutput,
  buildDetailOutput,
  buildSummaryOutput,
  diffOutput,
} from "./outputs";
import {
  addVersionInput,
  approveArtifactInput,
  createArtifactInput,
  requestBuildInput,
  requestChangesInput,
  submitForReviewInput,
} from "./procedures";

type Caller = Parameters<HttpRoute["call"]>[0];

function object(body: unknown): Record<string, unknown> {
  return (body ?? {}) as Record<string, unknown>;
}

async function ventureOf(caller: Caller, artifactId: string): Promise<string> {
  return (await caller.artifacts.locate({ artifactId })).ventureId;
}

const strictBody = <T extends z.ZodObject>(schema: T) =>
  schema.omit({ ventureId: true, artifactId: true } as never);

export const artifactsHttpRoutes: HttpRoute[] = [
  {
    method: "GET",
    path: "/ventures/{id}/artifacts",
    summary:
      "A venture's artifacts (landing pages, documents, pitch decks, image and video briefs) with their review status.",
    tag: "artifacts",
    output: z.array(artifactOutput),
    successStatus: 200,
    call: (caller, { params }) => caller.artifacts.list({ ventureId: params.id! }),
  },
  {
    method: "POST",
    path: "/ventures/{id}/artifacts",
    summary:
      "Register an artifact from its IR (founder or admin): validated (a bad field is named), content-addressed by the SHA-256 of its canonical JSON, version 1, a draft.",
    tag: "artifacts",
    body: createArtifactInput.omit({ ventureId: true }),
    output: artifactOutput,
    successStatus: 201,
    call: (caller, { params, body }) =>
      caller.artifacts.create({ ...object(body), ventureId: params.id! } as z.infer<
        typeof createArtifactInput
      >),
  },
  {
    method: "GET",
    path: "/artifacts/{id}",
    summary: "One artifact: status, versions (IR hashes), recent builds and the IR of its current version.",
    tag: "artifacts",
    output: artifactDetailOutput,
    successStatus: 200,
    async call(caller, { params }) {
      return caller.artifacts.get({ ventureId: await ventureOf(caller, params.id!), artifactId: params.id! });
    },
  },
  {
    method: "POST",
    path: "/artifacts/{id}/versions",
    summary: "Add an IR version (founder or admin); the artifact becomes a draft again.",
    tag: "artifacts",
    body: strictBody(addVersionInput),
    output: artifactOutput,
    successStatus: 201,
    async call(caller, { params, body }) {
      const ventureId = await ventureOf(caller, params.id!);
      return caller.artifacts.addVersion({ ...object(body), ventureId, artifactId: params.id! } as z.infer<
        typeof addVersionInput
      >);
    },
  },
  {
    method: "POST",
    path: "/artifacts/{id}/builds",
    summary:
      "Build a version (founder or admin): nodes through the provider chains, HTML, Markdown, PDF, PNG and a signed zip. mode replay with sourceBuildId rebuilds from the recorded provider responses only, to the same bytes and build hash.",
    tag: "artifacts",
    body: strictBody(requestBuildInput),
    output: buildSummaryOutput,
    successStatus: 201,
    async call(caller, { params, body }) {
      const ventureId = await ventureOf(caller, params.id!);
      return caller.artifacts.requestBuild({ ...object(body), ventureId, artifactId: params.id! } as z.input<
        typeof requestBuildInput
      >);
    },
  },
  {
    method: "GET",
    path: "/artifacts/{id}/builds/{buildId}",
    summary:
      "A build: status and progress, nodes with the provider that answered and every fallback, the log, outputs and the signed manifest.",
    tag: "artifacts",
    output: buildDetailOutput,
    successStatus: 200,
    async call(caller, { params }) {
      const ventureId = await ventureOf(caller, params.id!);
      return caller.artifacts.getBuild({ ventureId, artifactId: params.id!, buildId: params.buildId! });
    },
  },
  {
    method: "GET",
    path: "/artifacts/{id}/builds/{buildId}/bundle",
    summary:
      "Download a succeeded build as a zip (outputs, IR, manifest, signature, key). Verify it offline with `npx venture verify <file>`.",
    tag: "artifacts",
    output: fileDownloadOutput,
    file: { contentType: "application/zip" },
    successStatus: 200,
    async call(caller, { params }) {
      const ventureId = await ventureOf(caller, params.id!);
      return caller.artifacts.bundleFile({ ventureId, artifactId: params.id!, buildId: params.buildId! });
    },
  },
  {
    method: "GET",
    path: "/artifacts/{id}/diff",
    summary: "The line difference between two IR versions (?from=1&to=2), over their canonical JSON.",
    tag: "artifacts",
    query: z.object({ from: z.string(), to: z.string() }),
    output: diffOutput,
    successStatus: 200,
    async call(caller, { params, query }) {
      const ventureId = await ventureOf(caller, params.id!);
      return caller.artifacts.diff({
        ventureId,
        artifactId: params.id!,
        from: Number(query.get("from") ?? Number.NaN),
        to: Number(query.get("to") ?? Number.NaN),
      });
    },
  },
  {
    method: "POST",
    path: "/artifacts/{id}/submit",
    summary: "Submit a draft for review with a succeeded build of its current version (founder or admin).",
    tag: "artifacts",
    body: strictBody(submitForReviewInput),
    output: artifactOutput,
    successStatus: 200,
    async call(caller, { params, body }) {
      const ventureId = await ventureOf(caller, params.id!);
      return caller.artifacts.submitForReview({ ...object(body), ventureId, artifactId: params.id! });
    },
  },
  {
    method: "POST",
    path: "/artifacts/{id}/approve",
    summary:
      "Approve an artifact in review (founder or admin), never one you wrote or submitted (separation of duties).",
    tag: "artifacts",
    body: strictBody(approveArtifactInput),
    output: artifactOutput,
    successStatus: 200,
    async call(caller, { params, body }) {
      const ventureId = await ventureOf(caller, params.id!);
      return caller.artifacts.approve({ ...object(body), ventureId, artifactId: params.id! });
    },
  },
  {
    method: "POST",
    path: "/artifacts/{id}/request-changes",
    summary: "Send an artifact in review back to draft with a note (founder or admin).",
    tag: "artifacts",
    body: strictBody(requestChangesInput),
    output: artifactOutput,
    successStatus: 200,
    async call(caller, { params, body }) {
      const ventureId = await ventureOf(caller, params.id!);
      return caller.artifacts.requestChanges({
        ...object(body),
        ventureId,
        artifactId: params.id!,
      } as z.infer<typeof requestChangesInput>);
    },
  },
  {
    method: "POST",
    path: "/artifacts/{id}/publish",
    summary:
      "Publish an approved artifact (founder or admin) after the publishing policy allows it; a refusal is 422 with the policy's reasons and the words that made each forbidden claim. Landing pages are then served at /p/{venture-slug}/{artifact-slug}.",
    tag: "artifacts",
    body: z.object({}).strict(),
    output: artifactOutput,
    successStatus: 200,
    async call(caller, { params }) {
      const ventureId = await ventureOf(caller, params.id!);
      return caller.artifacts.publish({ ventureId, artifactId: params.id! });
    },
  },
];
