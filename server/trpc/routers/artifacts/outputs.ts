// Declared outputs of the artifacts procedures (thin: they describe what the use-cases return).
import { z } from "zod";
import { artifactIrSchema } from "@/server/contexts/artifacts/api";
import { artifactKinds, artifactStatuses, buildModes } from "@/server/shared/events/catalog/artifacts";
import { policyDecisionRecordSchema } from "@/server/shared/events/catalog/policy";

export const artifactOutput = z.object({
  id: z.string(),
  portfolioId: z.string(),
  ventureId: z.string(),
  kind: z.enum(artifactKinds),
  title: z.string(),
  slug: z.string(),
  status: z.enum(artifactStatuses),
  currentVersion: z.number().int(),
  authorId: z.string(),
  submittedBy: z.string().nullable(),
  approvedBy: z.string().nullable(),
  reviewBuildId: z.string().nullable(),
  latestBuildId: z.string().nullable(),
  publishedBuildId: z.string().nullable(),
  publishedVersion: z.number().int().nullable(),
  publishedPath: z.string().nullable(),
  publishedAt: z.date().nullable(),
  createdBy: z.string(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const buildSummaryOutput = z.object({
  id: z.string(),
  artifactId: z.string(),
  versionNumber: z.number().int(),
  irHash: z.string(),
  mode: z.enum(buildModes),
  sourceBuildId: z.string().nullable(),
  status: z.enum(["queued", "running", "succeeded", "failed"]),
  progress: z.number().int(),
  step: z.string(),
  buildHash: z.string().nullable(),
  keyId: z.string().nullable(),
  bundleSha256: z.string().nullable(),
  claimKinds: z.array(z.string()),
  nodesTotal: z.number().int(),
  nodesCached: z.number().int(),
  error: z.string().nullable(),
  failedNode: z.string().nullable(),
  requestedBy: z.string(),
  createdAt: z.date(),
  finishedAt: z.date().nullable(),
  durationMs: z.number().int().nullable(),
});

export const artifactDetailOutput = artifactOutput.extend({
  versions: z.array(
    z.object({
      number: z.number().int(),
      irHash: z.string(),
      title: z.string(),
      createdBy: z.string(),
      createdAt: z.date(),
    }),
  ),
  builds: z.array(buildSummaryOutput),
  ir: artifactIrSchema,
  irVersion: z.number().int(),
});

const manifestOutputFile = z.object({
  name: z.string(),
  contentType: z.string(),
  bytes: z.number().int(),
  sha256: z.string(),
});

export const buildDetailOutput = buildSummaryOutput.extend({
  nodes: z.array(
    z.object({
      nodeId: z.string(),
      modality: z.string(),
      cached: z.boolean(),
      provider: z.string().nullable(),
      model: z.string().nullable(),
      prompt: z.string(),
      requestHash: z.string().nullable(),
      responseHash: z.string().nullable(),
      attempts: z.array(
        z.object({
          provider: z.string(),
          model: z.string(),
          outcome: z.string(),
          error: z.string().nullable(),
          durationMs: z.number(),
        }),
      ),
      output: z.record(z.string(), z.unknown()),
      durationMs: z.number().int(),
    }),
  ),
  log: z.array(z.object({ seq: z.number().int(), at: z.date(), level: z.string(), message: z.string() })),
  outputs: z.array(manifestOutputFile),
  claims: z.array(z.object({ kind: z.string(), evidence: z.string(), where: z.string() })),
  manifest: z
    .object({
      format: z.string(),
      artifact: z.object({
        id: z.string(),
        kind: z.string(),
        title: z.string(),
        slug: z.string(),
        version: z.number().int(),
      }),
      irHash: z.string(),
      buildHash: z.string(),
      claimKinds: z.array(z.string()),
      nodes: z.array(
        z.object({
          id: z.string(),
          modality: z.string(),
          provider: z.string(),
          model: z.string(),
          prompt: z.string(),
          requestHash: z.string(),
          responseHash: z.string(),
        }),
      ),
      outputs: z.array(manifestOutputFile),
      signer: z.object({ keyId: z.string(), algorithm: z.literal("ed25519") }),
    })
    .nullable(),
  manifestSha256: z.string().nullable(),
  signature: z.object({ keyId: z.string(), valid: z.boolean(), problem: z.string().nullable() }).nullable(),
});

export const diffOutput = z.object({
  from: z.object({ number: z.number().int(), irHash: z.string() }),
  to: z.object({ number: z.number().int(), irHash: z.string() }),
  lines: z.array(z.object({ op: z.enum(["same", "added", "removed"]), text: z.string() })),
  changed: z.number().int(),
});

export const buildFileOutput = z.object({
  fileName: z.string(),
  contentType: z.string(),
  sha256: z.string(),
  /** The bytes, base64: previews and downloads go through a route handler that decodes them. */
  base64: z.string(),
});

export { policyDecisionRecordSchema };
