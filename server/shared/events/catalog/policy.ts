// Policy events, and the decision record other contexts embed in the events a decision authorised
// or refused. The record lives here, not in server/contexts/policy, because catalog entries of
// every context must be able to use it and server/shared imports no context.
import { z } from "zod";

/** The three kinds of policy set a portfolio has, one Cedar schema each. */
export const policyScopes = ["treasury", "tools", "publishing"] as const;
export type PolicyScope = (typeof policyScopes)[number];

/**
 * allow / deny answer tool calls and publishing; approve / needs_approval / deny answer money
 * intents (TREAS-002).
 */
export const policyOutcomes = ["allow", "approve", "needs_approval", "deny"] as const;
export type PolicyOutcome = (typeof policyOutcomes)[number];

const versionHash = z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 hex digest");

/**
 * What a decision was and why: embed this in the payload of the event the decision authorised or
 * refused (intent approved, tool call denied, artifact published), so that every effect carries
 * the rules that allowed it and the exact policy version they came from (SPEC invariant 3).
 */
export const policyDecisionRecordSchema = z
  .object({
    scope: z.enum(policyScopes),
    outcome: z.enum(policyOutcomes),
    /** 0 unless outcome is needs_approval; 2 means two distinct approvers (four-eyes). */
    approvalsRequired: z.number().int().min(0).max(2),
    /** The @id of every policy that determined the outcome: permits for allow, forbids for deny. */
    determiningPolicies: z.array(z.string()),
    /** Human-readable, from the @reason annotations of the determining policies. */
    reasons: z.array(z.string()),
    /** Evaluation errors; any error makes the outcome deny (fail closed). */
    errors: z.array(z.string()),
    /** SHA-256 of the policy text that decided, or "none" when no version was active. */
    policyVersion: z.union([versionHash, z.literal("none")]),
  })
  .strict();

export type PolicyDecisionRecord = z.infer<typeof policyDecisionRecordSchema>;

export const policyEvents = {
  "policy.version_published": {
    schemaVersion: 1,
    payload: z
      .object({
        portfolioId: z.string(),
        scope: z.enum(policyScopes),
        versionNumber: z.number().int().positive(),
        versionHash,
        previousVersionNumber: z.number().int().positive().nullable(),
        previousVersionHash: versionHash.nullable(),
        /** The @id of every policy in the version, in text order. */
        policyIds: z.array(z.string()),
        /** The full Cedar text, so the log alone proves which rules were in force when. */
        text: z.string(),
        note: z.string().nullable(),
      })
      .strict(),
  },
} as const;
