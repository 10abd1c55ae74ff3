// Declared outputs of the compliance procedures (and of the HTTP API routes over them).
import { z } from "zod";

const hash = z.string();

/** Whose personal data an event holds and how it reads for this caller. */
export const personalDataOutput = z.object({
  subjectType: z.enum(["person", "customer", "contact"]),
  subjectId: z.string(),
  state: z.enum(["readable", "erased", "withheld", "unreadable"]),
  fields: z.array(z.string()),
});

export const signedCheckpointOutput = z.object({
  sequence: z.number().int(),
  headHash: hash,
  signedAt: z.string(),
  keyId: z.string(),
  signature: z.string(),
});

export const auditKeyOutput = z.object({
  keyId: z.string(),
  algorithm: z.literal("ed25519"),
  publicKeyPem: z.string(),
  /** The same key as a JWK (OKP / Ed25519), for tools that prefer it. */
  jwk: z.object({ kty: z.literal("OKP"), crv: z.literal("Ed25519"), x: z.string(), kid: z.string() }),
  validFrom: z.string(),
  validTo: z.string().nullable(),
});

export const verificationResultOutput = z.object({
  ok: z.boolean(),
  checkedEvents: z.number().int(),
  checkedCheckpoints: z.number().int(),
  sources: z.array(z.string()),
  firstBadSequence: z.number().int().optional(),
  eventId: z.string().nullable().optional(),
  checkpointSequence: z.number().int().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

export const verificationOutput = z.object({
  id: z.string(),
  trigger: z.enum(["requested", "scheduled"]),
  status: z.enum(["queued", "running", "passed", "failed", "error"]),
  phase: z.string().nullable(),
  totalEvents: z.number().int(),
  checkedEvents: z.number().int(),
  checkedCheckpoints: z.number().int(),
  firstBadSequence: z.number().int().nullable(),
  reason: z.string().nullable(),
  message: z.string().nullable(),
  sources: z.array(z.string()),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
});

export const findingOutput = z.object({
  id: z.string(),
  portfolioId: z.string().nullable(),
  severity: z.enum(["critical", "high", "medium", "low"]),
  kind: z.string(),
  title: z.string(),
  detail: z.string(),
  status: z.enum(["open", "acknowledged", "resolved"]),
  owner: z.string().nullable(),
  createdAt: z.date(),
  /** The problem's identity when a continuous check raised it (one finding per problem). */
  dedupeKey: z.string().nullable(),
  updatedAt: z.date().nullable(),
  statusNote: z.string().nullable(),
  /** "type:id" of who last changed the status. */
  statusChangedBy: z.string().nullable(),
});

export const evidencePackOutput = z.object({
  id: z.string(),
  portfolioId: z.string(),
  from: z.date(),
  to: z.date(),
  status: z.enum(["queued", "building", "ready", "failed"]),
  phase: z.string().nullable(),
  eventsTotal: z.number().int(),
  eventsWritten: z.number().int(),
  coveredPortfolios: z.array(z.string()),
  firstSequence: z.number().int().nullable(),
  lastSequence: z.number().int().nullable(),
  fileName: z.string().nullable(),
  bytes: z.number().int().nullable(),
  sha256: z.string().nullable(),
  manifestSha256: z.string().nullable(),
  keyId: z.string().nullable(),
  error: z.string().nullable(),
  requestedBy: z.object({ type: z.string(), id: z.string() }),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
});

export const auditEventSummaryOutput = z.object({
  sequence: z.number().int(),
  id: z.string(),
  type: z.string(),
  streamType: z.string(),
  streamId: z.string(),
  occurredAt: z.date(),
  actor: z.object({ type: z.string(), id: z.string() }),
  correlationId: z.string(),
  hash: hash,
});

const neighbourOutput = z
  .object({
    sequence: z.number().int(),
    hash: hash,
    prevHash: hash,
    id: z.string().nullable(),
    type: z.string().nullable(),
  })
  .nullable();

export const auditEventDetailOutput = auditEventSummaryOutput.extend({
  portfolioId: z.string().nullable(),
  causationId: z.string().nullable(),
  schemaVersion: z.number().int(),
  payload: z.unknown(),
  personalData: personalDataOutput.nullable(),
  envelope: z.string(),
  prevHash: hash,
  sealedAt: z.date(),
  hashValid: z.boolean(),
  linksToPrevious: z.boolean(),
  previous: neighbourOutput,
  next: neighbourOutput,
});

export const auditOverviewOutput = z.object({
  head: z.object({ sequence: z.number().int(), hash: hash }),
  lastCheckpoint: signedCheckpointOutput.nullable(),
  checkpoints: z.number().int(),
  keys: z.number().int(),
  activeKeyId: z.string().nullable(),
  lastVerification: verificationOutput.nullable(),
  openFindings: z.number().int(),
});

/** A file the HTTP layer streams; the browser and API clients receive the bytes, not this. */
export const fileDownloadOutput = z.object({
  fileName: z.string(),
  filePath: z.string(),
  contentType: z.string(),
  bytes: z.number().int(),
  sha256: z.string(),
});

const subjectTypeOutput = z.enum(["person", "customer", "contact"]);

export const dataSubjectOutput = z.object({
  subjectId: z.string(),
  subjectType: subjectTypeOutput,
  keyId: z.string().nullable(),
  /** active: data readable; erased: its key destroyed; no_sealed_data: only read models hold data. */
  status: z.enum(["active", "erased", "no_sealed_data"]),
  portfolioId: z.string().nullable(),
  createdAt: z.date().nullable(),
  lastActivityAt: z.date().nullable(),
  erasedAt: z.date().nullable(),
  version: z.number().int(),
});

/** A DSAR export (COMPL-004): everything held about the subjects an identifier names, readable. */
export const dataSubjectExportOutput = z.object({
  exportId: z.string(),
  exportedAt: z.string(),
  portfolioId: z.string(),
  requestedBy: z.object({ type: z.string(), id: z.string() }),
  subjects: z.array(
    z.object({
      subject: dataSubjectOutput,
      events: z.array(
        z.object({
          sequence: z.number().int().nullable(),
          eventId: z.string(),
          type: z.string(),
          occurredAt: z.string(),
          portfolioId: z.string().nullable(),
          personalData: z.enum(["readable", "erased", "withheld", "unreadable"]),
          payload: z.record(z.string(), z.unknown()),
        }),
      ),
      activity: z.array(
        z.object({
          sequence: z.number().int(),
          eventId: z.string(),
          type: z.string(),
          occurredAt: z.string(),
          relation: z.enum(["actor", "stream"]),
        }),
      ),
      activityTruncated: z.boolean(),
      records: z.array(
        z.object({
          store: z.string(),
          description: z.string(),
          rows: z.array(z.record(z.string(), z.unknown())),
        }),
      ),
    }),
  ),
});

export const erasureOutput = z.object({
  subjectId: z.string(),
  subjectType: subjectTypeOutput,
  /** false: the subject was already erased, nothing changed. */
  erased: z.boolean(),
  erasedAt: z.date(),
  keyId: z.string(),
  events: z.number().int(),
  scrubbed: z.array(z.object({ store: z.string(), rows: z.number().int() })),
});
