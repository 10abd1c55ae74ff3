// Scale-up playbooks (ORCH-008 second half, UJ-6, ADR 0017): a venture's playbook is configured in
// versions (stream scale_up_playbook/<ventureId>, whose version is the playbook's); each version
// fires at most once, as a run (stream scale_up_run/<runId>) that asks for a budget increase with
// four-eyes approval and, once approved, raises the venture's concurrency. Money is a string of
// digits in minor units.
import { z } from "zod";

const positiveMinor = z.string().regex(/^[1-9]\d*$/, "a positive integer amount in minor units");
const minor = z.string().regex(/^\d+$/, "a non-negative integer amount in minor units");
const currency = z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code");
const concurrency = z.number().int().min(0).max(1_000);

export const scaleUpRunStatuses = [
  "waiting_approval",
  "approved",
  "concurrency_raised",
  "denied",
  "expired",
] as const;

export const orchestrationPlaybookEvents = {
  /** A founder, finance controller or admin set the venture's scale-up playbook (a new version). */
  "orchestration.scale_up_playbook_configured": {
    schemaVersion: 1,
    payload: z
      .object({
        ventureId: z.string().min(1),
        version: z.number().int().min(1),
        enabled: z.boolean(),
        currency,
        revenueThresholdMinor: positiveMinor,
        windowDays: z.number().int().min(1).max(366),
        budgetIncreaseMinor: positiveMinor,
        concurrencyTarget: z.number().int().min(1).max(1_000),
        /** The user the budget increase is requested for (never one of its approvers). */
        configuredBy: z.string().min(1),
      })
      .strict(),
  },
  /**
   * Trailing revenue passed the threshold: the playbook version fired once and asked for the budget
   * increase as money intent intentId (a budget allocation that needs two distinct approvers).
   */
  "orchestration.scale_up_playbook_fired": {
    schemaVersion: 1,
    payload: z
      .object({
        runId: z.string().min(1),
        ventureId: z.string().min(1),
        playbookVersion: z.number().int().min(1),
        intentId: z.string().min(1),
        /** pending_approval, or denied/settled when the policy decided at once. */
        intentStatus: z.string().min(1),
        currency,
        trailingRevenueMinor: minor,
        revenueThresholdMinor: positiveMinor,
        windowDays: z.number().int().min(1).max(366),
        budgetIncreaseMinor: positiveMinor,
        concurrencyBefore: concurrency,
        concurrencyTarget: z.number().int().min(1).max(1_000),
        requestedBy: z.string().min(1),
      })
      .strict(),
  },
  /** The budget increase was approved and settled; the venture's concurrency is now concurrencyAfter. */
  "orchestration.scale_up_concurrency_raised": {
    schemaVersion: 1,
    payload: z
      .object({
        runId: z.string().min(1),
        ventureId: z.string().min(1),
        intentId: z.string().min(1),
        concurrencyBefore: concurrency,
        concurrencyAfter: concurrency,
        /** False when the venture already ran at least that many tasks at once (nothing changed). */
        changed: z.boolean(),
      })
      .strict(),
  },
  /** The budget increase was denied or expired: the venture's concurrency is unchanged. */
  "orchestration.scale_up_run_ended": {
    schemaVersion: 1,
    payload: z
      .object({
        runId: z.string().min(1),
        ventureId: z.string().min(1),
        intentId: z.string().min(1),
        status: z.enum(["denied", "expired"]),
        reason: z.string(),
      })
      .strict(),
  },
} as const;
