// Compliance events: audit signing keys, evidence packs, verification runs and findings
// (COMPL-002, COMPL-003; docs/decisions/0008). Signed checkpoints are deliberately NOT events:
// each one would move the chain head it signs, so the log would never be at rest.
import { z } from "zod";
import { subjectTypes } from "../personal-data";

const isoTime = z.iso.datetime({ offset: true });
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 hex digest");

export const findingSeverities = ["critical", "high", "medium", "low"] as const;
export type FindingSeverity = (typeof findingSeverities)[number];
export const findingStatuses = ["open", "acknowledged", "resolved"] as const;
export type FindingStatus = (typeof findingStatuses)[number];
export const erasureReasons = ["request", "retention"] as const;

export const complianceEvents = {
  /** A public key joined the audit keyring; replacesKeyId is set when it rotated an older key. */
  "compliance.signing_key_added": {
    schemaVersion: 1,
    payload: z
      .object({
        keyId: z.string().min(1),
        algorithm: z.literal("ed25519"),
        publicKeyPem: z.string().min(1),
        validFrom: isoTime,
        replacesKeyId: z.string().min(1).nullable(),
      })
      .strict(),
  },
  "compliance.evidence_pack_requested": {
    schemaVersion: 1,
    payload: z
      .object({
        packId: z.string().min(1),
        portfolioId: z.string().min(1),
        from: isoTime,
        to: isoTime,
      })
      .strict(),
  },
  "compliance.evidence_pack_built": {
    schemaVersion: 1,
    payload: z
      .object({
        packId: z.string().min(1),
        fileName: z.string().min(1),
        /** SHA-256 of the archive as downloaded, and of its signed manifest. */
        sha256: sha256Hex,
        manifestSha256: sha256Hex,
        bytes: z.number().int().nonnegative(),
        keyId: z.string().min(1),
        firstSequence: z.number().int().nonnegative(),
        lastSequence: z.number().int().nonnegative(),
        periodEvents: z.number().int().nonnegative(),
      })
      .strict(),
  },
  "compliance.evidence_pack_failed": {
    schemaVersion: 1,
    payload: z.object({ packId: z.string().min(1), reason: z.string() }).strict(),
  },
  /** The outcome of a verification someone asked for (scheduled runs record failures as findings). */
  "compliance.audit_trail_verified": {
    schemaVersion: 1,
    payload: z
      .object({
        verificationId: z.string().min(1),
        ok: z.boolean(),
        checkedEvents: z.number().int().nonnegative(),
        checkedCheckpoints: z.number().int().nonnegative(),
        firstBadSequence: z.number().int().nonnegative().nullable(),
        reason: z.string().nullable(),
      })
      .strict(),
  },
  "compliance.finding_raised": {
    schemaVersion: 1,
    payload: z
      .object({
        findingId: z.string().min(1),
        severity: z.enum(findingSeverities),
        kind: z.string().min(1),
        title: z.string().min(1),
        detail: z.string(),
        owner: z.string().nullable(),
        portfolioId: z.string().nullable(),
      })
      .strict(),
  },
  /** An auditor or admin acknowledged, resolved or reopened a finding (COMPL-006). */
  "compliance.finding_status_changed": {
    schemaVersion: 1,
    payload: z
      .object({
        findingId: z.string().min(1),
        from: z.enum(findingStatuses),
        to: z.enum(findingStatuses),
        note: z.string().nullable(),
        owner: z.string().nullable(),
      })
      .strict(),
  },
  /**
   * A DSAR export (COMPL-004): who asked is the actor; what was handed out is counted, never
   * copied here (the export itself is personal data).
   */
  "compliance.subject_data_exported": {
    schemaVersion: 1,
    payload: z
      .object({
        exportId: z.string().min(1),
        subjectType: z.enum(subjectTypes),
        subjectId: z.string().min(1),
        events: z.number().int().nonnegative(),
        records: z.number().int().nonnegative(),
      })
      .strict(),
  },
  /**
   * A data subject's key was destroyed (COMPL-005): every sealed field of theirs now reads as
   * "[erased]" and read models holding their data in clear were scrubbed in the same transaction.
   * Carries no personal data: the subject id is a pseudonymous reference.
   */
  "compliance.subject_erased": {
    schemaVersion: 1,
    payload: z
      .object({
        subjectType: z.enum(subjectTypes),
        subjectId: z.string().min(1),
        /** The destroyed key: the sections sealed with it can never be opened again. */
        keyId: z.string().min(1),
        reason: z.enum(erasureReasons),
        /** Events holding the subject's sealed data when the key was destroyed. */
        events: z.number().int().nonnegative(),
        /** Read models whose clear copies were scrubbed, and how many rows of each. */
        scrubbed: z.array(
          z.object({ store: z.string().min(1), rows: z.number().int().nonnegative() }).strict(),
        ),
      })
      .strict(),
  },
} as const;
