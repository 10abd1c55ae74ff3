// Scale-up playbook rules, pure (ORCH-008, UJ-6, ADR 0017): validating a configuration (bad input
// names every bad field), whether a save changes anything, the trailing revenue window, when a
// playbook version fires, and how a run reads to a person. No database, no clock: time comes in.
import { AppError } from "@/server/shared/errors";
import type { scaleUpRunStatuses } from "@/server/shared/events/catalog/orchestration-playbooks";

export type ScaleUpRunStatus = (typeof scaleUpRunStatuses)[number];

/** The largest threshold or increase: 10^15 minor units, as for deposits and allocations. */
export const maxPlaybookMinor = 10n ** 15n;
export const defaultWindowDays = 30;
export const maxWindowDays = 366;
export const maxConcurrencyTarget = 1_000;
/** Two distinct approvers, always (the policy guardrail "guardrail.scale-up-four-eyes"). */
export const playbookApprovalsRequired = 2;

export type PlaybookConfig = {
  enabled: boolean;
  /** The venture's currency when the caller named none. */
  currency: string | null;
  revenueThresholdMinor: bigint;
  windowDays: number;
  budgetIncreaseMinor: bigint;
  concurrencyTarget: number;
};

const allowedFields = [
  "enabled",
  "currency",
  "revenueThresholdMinor",
  "windowDays",
  "budgetIncreaseMinor",
  "concurrencyTarget",
] as const;

/** A positive amount of minor units: a bigint, or a string of digits (never a JSON number). */
export function parsePlaybookAmount(value: unknown): bigint | string {
  const tooLarge = `at most ${maxPlaybookMinor} minor units`;
  if (typeof value === "bigint") {
    if (value <= 0n) return "must be a positive integer of minor units";
    return value <= maxPlaybookMinor ? value : tooLarge;
  }
  if (typeof value === "string") {
    const text = value.trim();
    if (text.startsWith("-")) return "must be a positive integer of minor units";
    if (!/^\d+$/.test(text)) return "must be a string of digits (minor units), without sign or decimals";
    if (text.length > 19) return tooLarge;
    const parsed = BigInt(text);
    if (parsed === 0n) return "must be a positive integer of minor units";
    return parsed <= maxPlaybookMinor ? parsed : tooLarge;
  }
  if (typeof value === "number") return "must be a string of digits (minor units), not a JSON number";
  return "required: a positive integer of minor units, as a string of digits";
}

function integerIn(value: unknown, min: number, max: number): number | null {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max ? value : null;
}

/**
 * Validates a configuration. Every bad field is named in one BAD_REQUEST (details.fields), so a
 * form can mark them all; nothing is written by a caller that lets this throw first.
 */
export function parsePlaybookInput(raw: Record<string, unknown>): PlaybookConfig {
  const fields: Record<string, string> = {};
  for (const key of Object.keys(raw)) {
    if (!(allowedFields as readonly string[]).includes(key)) fields[key] = "unknown field";
  }
  const enabled = raw.enabled ?? true;
  if (typeof enabled !== "boolean") fields.enabled = "true or false";
  let currency: string | null = null;
  if (raw.currency !== undefined && raw.currency !== null) {
    if (typeof raw.currency === "string" && /^[A-Z]{3}$/.test(raw.currency)) currency = raw.currency;
    else fields.currency = "an ISO 4217 code in capitals (e.g. USD)";
  }
  const threshold = parsePlaybookAmount(raw.revenueThresholdMinor);
  if (typeof threshold === "string") fields.revenueThresholdMinor = threshold;
  const windowDays = integerIn(raw.windowDays ?? defaultWindowDays, 1, maxWindowDays);
  if (windowDays === null) fields.windowDays = `an integer number of days from 1 to ${maxWindowDays}`;
  const increase = parsePlaybookAmount(raw.budgetIncreaseMinor);
  if (typeof increase === "string") fields.budgetIncreaseMinor = increase;
  const target = integerIn(raw.concurrencyTarget, 1, maxConcurrencyTarget);
  if (target === null) fields.concurrencyTarget = `an integer from 1 to ${maxConcurrencyTarget}`;
  if (Object.keys(fields).length > 0) {
    const summary = Object.entries(fields)
      .map(([field, problem]) => `${field}: ${problem}`)
      .join("; ");
    throw new AppError("BAD_REQUEST", `Invalid scale-up playbook: ${summary}`, { fields });
  }
  return {
    enabled: enabled as boolean,
    currency,
    revenueThresholdMinor: threshold as bigint,
    windowDays: windowDays!,
    budgetIncreaseMinor: increase as bigint,
    concurrencyTarget: target!,
  };
}

export type StoredPlaybook = Omit<PlaybookConfig, "currency"> & { currency: string };

/** A save that changes nothing records nothing (and so does not re-arm a version that fired). */
export function samePlaybook(a: StoredPlaybook, b: StoredPlaybook): boolean {
  return (
    a.enabled === b.enabled &&
    a.currency === b.currency &&
    a.revenueThresholdMinor === b.revenueThresholdMinor &&
    a.windowDays === b.windowDays &&
    a.budgetIncreaseMinor === b.budgetIncreaseMinor &&
    a.concurrencyTarget === b.concurrencyTarget
  );
}

/** The trailing window: `windowDays` whole UTC days ending with today's, both ends included. */
export function trailingWindow(now: Date, windowDays: number): { from: string; to: string } {
  const dayMs = 86_400_000;
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { from: day(today - (windowDays - 1) * dayMs), to: day(today) };
}

export type FireDecision =
  | { fire: true }
  | {
      fire: false;
      reason: "disabled" | "already_fired" | "run_waiting" | "paused" | "below_threshold";
    };

/**
 * Whether a playbook version fires now. It fires once per version, when trailing revenue has
 * reached the threshold (at or above), never while the kill-switch is engaged, and never while an
 * earlier run of the venture still waits for its approvals (two budget increases must not be in
 * flight at once).
 */
export function decideFire(state: {
  enabled: boolean;
  firedThisVersion: boolean;
  runWaiting: boolean;
  paused: boolean;
  trailingRevenueMinor: bigint;
  revenueThresholdMinor: bigint;
}): FireDecision {
  if (!state.enabled) return { fire: false, reason: "disabled" };
  if (state.firedThisVersion) return { fire: false, reason: "already_fired" };
  if (state.runWaiting) return { fire: false, reason: "run_waiting" };
  if (state.paused) return { fire: false, reason: "paused" };
  if (state.trailingRevenueMinor < state.revenueThresholdMinor)
    return { fire: false, reason: "below_threshold" };
  return { fire: true };
}

/** What the allocation's first decision makes of a new run. */
export function runStatusAtFiring(allocationStatus: string): ScaleUpRunStatus {
  if (allocationStatus === "pending_approval") return "waiting_approval";
  if (allocationStatus === "approved" || allocationStatus === "settled") return "approved";
  return "denied";
}

/** The concurrency an approved run leaves the venture with: never lower than it already is. */
export function raisedConcurrency(current: number, target: number): { after: number; changed: boolean } {
  return target > current ? { after: target, changed: true } : { after: current, changed: false };
}

/** "waiting for approvals 1 of 2", "concurrency raised 2 → 6", … for the panel and the API. */
export function describeRun(run: {
  status: ScaleUpRunStatus;
  approvalsGiven: number;
  approvalsRequired: number;
  concurrencyBefore: number;
  concurrencyAfter: number | null;
  reason: string | null;
}): string {
  switch (run.status) {
    case "waiting_approval":
      return `Waiting for approvals: ${run.approvalsGiven} of ${run.approvalsRequired}`;
    case "approved":
      return "Approved: the budget moved; raising concurrency";
    case "concurrency_raised":
      return run.concurrencyAfter !== null && run.concurrencyAfter > run.concurrencyBefore
        ? `Concurrency raised ${run.concurrencyBefore} → ${run.concurrencyAfter}`
        : `Approved; concurrency was already ${run.concurrencyAfter ?? run.concurrencyBefore}`;
    case "denied":
      return `Denied: concurrency unchanged${run.reason ? ` (${run.reason})` : ""}`;
    case "expired":
      return "Expired without approval: concurrency unchanged";
  }
}

const currencyScales: Record<string, number> = { JPY: 0, KRW: 0, KWD: 3, BHD: 3, JOD: 3, OMR: 3, TND: 3 };

/** Minor units as a decimal amount, exactly (no floats): 150000 USD → "1,500.00 USD". */
export function formatPlaybookAmount(amountMinor: bigint, currency: string): string {
  const scale = currencyScales[currency] ?? 2;
  const digits = amountMinor.toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${whole}${scale > 0 ? `.${digits.slice(digits.length - scale)}` : ""} ${currency}`;
}

/** The allocation's reason, which finance controllers read in the inbox (3-500 characters). */
export function budgetIncreaseReason(run: {
  playbookVersion: number;
  trailingRevenueMinor: bigint;
  revenueThresholdMinor: bigint;
  windowDays: number;
  currency: string;
  concurrencyBefore: number;
  concurrencyTarget: number;
}): string {
  const money = (amount: bigint) => formatPlaybookAmount(amount, run.currency);
  return (
    `Scale-up playbook v${run.playbookVersion}: revenue over the last ${run.windowDays} days ` +
    `${money(run.trailingRevenueMinor)} passed the threshold ${money(run.revenueThresholdMinor)}; ` +
    `on approval by two finance controllers concurrency rises ${run.concurrencyBefore} → ${run.concurrencyTarget}`
  );
}
