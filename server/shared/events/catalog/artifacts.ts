// Artifact compiler events (ARTIF-001…007): artifacts and their IR versions (content-addressed by
// the SHA-256 of the canonical JSON of the IR), builds requested, finished or failed, metered
// provider calls, and the review and publishing lifecycle with the Cedar decision that allowed or
// refused a publish. Outputs themselves are stored by hash, never in payloads.
import { z } from "zod";
import { policyDecisionRecordSchema } from "./policy";

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 hex digest");
const minor = z
  .string()
  .regex(/^\d+$/, "a non-negative integer amount in minor units, as a string of digits");

export const artifactKinds = [
  "document",
  "landing_page",
  "pitch_deck",
  "image_brief",
  "video_brief",
] as const;
export type ArtifactKind = (typeof artifactKinds)[number];

export const artifactStatuses = ["draft", "in_review", "approved", "published"] as const;
export type ArtifactStatus = (typeof artifactStatuses)[number];

export const buildModes = ["build", "replay"] as const;
export type BuildMode = (typeof buildModes)[number];

export const artifactModalities = ["text", "image", "video"] as const;
export type ArtifactModality = (typeof artifactModalities)[number];

const artifactRef = { artifactId: z.string(), ventureId: z.string() };

export const artifactsEvents = {
  "artifacts.artifact_created": {
    schemaVersion: 1,
    payload: z
      .object({
        ...artifactRef,
        kind: z.enum(artifactKinds),
        title: z.string(),
        slug: z.string(),
        versionNumber: z.literal(1),
        irHash: sha256,
      })
      .strict(),
  },
  /** A new IR version; the review status returns to draft (an approval is of one version's build). */
  "artifacts.version_added": {
    schemaVersion: 1,
    payload: z
      .object({
        ...artifactRef,
        versionNumber: z.number().int().min(2),
        irHash: sha256,
        previousIrHash: sha256,
        title: z.string(),
      })
      .strict(),
  },
  "artifacts.build_requested": {
    schemaVersion: 1,
    payload: z
      .object({
        ...artifactRef,
        buildId: z.string(),
        versionNumber: z.number().int().positive(),
        irHash: sha256,
        mode: z.enum(buildModes),
        /** replay: the build whose recorded provider responses are replayed. */
        sourceBuildId: z.string().nullable(),
      })
      .strict(),
  },
  "artifacts.build_succeeded": {
    schemaVersion: 1,
    payload: z
      .object({
        ...artifactRef,
        buildId: z.string(),
        versionNumber: z.number().int().positive(),
        mode: z.enum(buildModes),
        irHash: sha256,
        buildHash: sha256,
        manifestSha256: sha256,
        bundleSha256: sha256,
        keyId: z.string(),
        outputs: z.array(z.object({ name: z.string(), sha256, bytes: z.number().int().min(0) }).strict()),
        nodes: z.number().int().min(0),
        cachedNodes: z.number().int().min(0),
        claimKinds: z.array(z.string()),
        durationMs: z.number().int().min(0),
      })
      .strict(),
  },
  "artifacts.build_failed": {
    schemaVersion: 1,
    payload: z
      .object({
        ...artifactRef,
        buildId: z.string(),
        versionNumber: z.number().int().positive(),
        mode: z.enum(buildModes),
        nodeId: z.string().nullable(),
        error: z.string(),
      })
      .strict(),
  },
  /** A paid provider call, policy-checked and held on the venture's budget before, settled after. */
  "artifacts.provider_call_completed": {
    schemaVersion: 1,
    payload: z
      .object({
        callId: z.string(),
        ...artifactRef,
        buildId: z.string(),
        nodeId: z.string(),
        modality: z.enum(artifactModalities),
        provider: z.string(),
        model: z.string(),
        requestHash: sha256,
        status: z.enum(["ok", "error", "timeout", "aborted"]),
        maxCostMinor: minor,
        costMinor: minor,
        currency: z.string(),
        durationMs: z.number().int().min(0),
        error: z.string().nullable(),
        decision: policyDecisionRecordSchema,
      })
      .strict(),
  },
  /** A paid provider call refused before it started: by the treasury policy, the budget or a pause. */
  "artifacts.provider_call_refused": {
    schemaVersion: 1,
    payload: z
      .object({
        callId: z.string(),
        ...artifactRef,
        buildId: z.string(),
        nodeId: z.string(),
        modality: z.enum(artifactModalities),
        provider: z.string(),
        model: z.string(),
        maxCostMinor: minor,
        currency: z.string(),
        reason: z.enum(["policy", "budget", "paused"]),
        message: z.string(),
        decision: policyDecisionRecordSchema.nullable(),
      })
      .strict(),
  },
  "artifacts.submitted_for_review": {
    schemaVersion: 1,
    payload: z
      .object({ ...artifactRef, versionNumber: z.number().int().positive(), buildId: z.string() })
      .strict(),
  },
  "artifacts.approved": {
    schemaVersion: 1,
    payload: z
      .object({
        ...artifactRef,
        versionNumber: z.number().int().positive(),
        buildId: z.string(),
        note: z.string().nullable(),
      })
      .strict(),
  },
  "artifacts.changes_requested": {
    schemaVersion: 1,
    payload: z
      .object({
        ...artifactRef,
        versionNumber: z.number().int().positive(),
        buildId: z.string(),
        note: z.string(),
      })
      .strict(),
  },
  "artifacts.published": {
    schemaVersion: 1,
    payload: z
      .object({
        ...artifactRef,
        versionNumber: z.number().int().positive(),
        buildId: z.string(),
        buildHash: sha256,
        path: z.string(),
        claimKinds: z.array(z.string()),
        decision: policyDecisionRecordSchema,
      })
      .strict(),
  },
  /** The publishing policy refused (ARTIF-007): recorded with the decision and its reasons. */
  "artifacts.publish_refused": {
    schemaVersion: 1,
    payload: z
      .object({
        ...artifactRef,
        versionNumber: z.number().int().positive(),
        buildId: z.string().nullable(),
        claimKinds: z.array(z.string()),
        decision: policyDecisionRecordSchema,
      })
      .strict(),
  },
} as const;
