// Which events become notifications, for whom, and what they say (CTRL-006). Pure: the consumer
// reads the facts an event does not carry (an intent's amount, a task's title) and passes them in.
//
// Who is told is decided by role in the event's portfolio:
//   approvals waiting for money      → those who may decide intents (finance controller, admin)
//   tool calls waiting for approval  → those who may approve tool calls (founder, admin)
//   escalated tasks                  → those who may control tasks (founder, admin)
//   freezes and unfreezes            → everyone in the portfolio
//   findings                         → auditors and admins (every portfolio's, for a deployment-wide one)
//   pause and resume (kill-switch)   → everyone, in every portfolio
import { permissions, type Role } from "@/server/contexts/identity/roles";
import { roles } from "@/server/shared/events/catalog";
import type { NotificationKind } from "@/server/shared/events/catalog/notifications";
import type { AnyEnvelope } from "@/server/shared/events/envelope";

export const notificationAudiences: Record<NotificationKind, readonly Role[]> = {
  "intent.approval_requested": permissions["intent.decide"],
  "tool.approval_requested": permissions["tool.approve"],
  "task.escalated": permissions["task.control"],
  "treasury.frozen": roles,
  "treasury.unfrozen": roles,
  "finding.raised": ["auditor", "admin"],
  "control.paused": roles,
  "control.resumed": roles,
};

/** The event types the notifier consumes: each maps to a kind (intent_decided only when pending). */
export const notifyingEventTypes = [
  "treasury.intent_decided",
  "agents.tool_approval_requested",
  "orchestration.task_escalated",
  "treasury.frozen",
  "treasury.unfrozen",
  "compliance.finding_raised",
  "control.paused",
  "control.resumed",
] as const satisfies ReadonlyArray<AnyEnvelope["type"]>;

export type NotifyingEventType = (typeof notifyingEventTypes)[number];

/** What the consumer looked up for the event; absent when it no longer exists. */
export type NotificationFacts = {
  intent?: {
    amountMinor: bigint;
    currency: string;
    counterparty: string;
    purpose: string;
    ventureId: string;
    approvalsRequired: number;
  } | null;
  task?: { title: string } | null;
};

export type NotificationDraft = {
  kind: NotificationKind;
  /** null: deployment-wide (every portfolio's members in the audience are told). */
  portfolioId: string | null;
  audience: readonly Role[];
  title: string;
  body: string;
  /** Where in the app to act on it. */
  link: string;
  /** Identifiers for webhook receivers; never personal data or free-form arguments. */
  data: Record<string, string | number | null>;
};

const currencyScales: Record<string, number> = { JPY: 0, KRW: 0, KWD: 3, BHD: 3, JOD: 3, OMR: 3, TND: 3 };

/** Minor units as a decimal string, exactly (no floats): 600000 USD → "6,000.00 USD". */
export function formatAmount(amountMinor: bigint, currency: string): string {
  const scale = currencyScales[currency] ?? 2;
  const digits = amountMinor.toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${whole}${scale > 0 ? `.${digits.slice(digits.length - scale)}` : ""} ${currency}`;
}

function clip(text: string, max = 300): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The notification an event makes, or null when it makes none (e.g. an intent approved at once). */
export function notificationFor(event: AnyEnvelope, facts: NotificationFacts = {}): NotificationDraft | null {
  const draft = (
    kind: NotificationKind,
    rest: Omit<NotificationDraft, "kind" | "audience" | "portfolioId">,
    portfolioId: string | null = event.portfolioId,
  ): NotificationDraft => ({ kind, audience: notificationAudiences[kind], portfolioId, ...rest });

  switch (event.type) {
    case "treasury.intent_decided": {
      const p = event.payload;
      if (p.status !== "pending_approval" || !event.portfolioId) return null;
      const intent = facts.intent;
      const what = intent
        ? `${formatAmount(intent.amountMinor, intent.currency)} to ${intent.counterparty}`
        : `Money intent ${p.intentId}`;
      const approvals = p.approvalsRequired > 1 ? ` Needs ${p.approvalsRequired} approvers.` : "";
      return draft("intent.approval_requested", {
        title: `Approval waiting: ${what}`,
        body: clip(`${intent ? `${intent.purpose}. ` : ""}${p.reasons.join(" ")}${approvals}`.trim()),
        link: "/inbox",
        data: {
          intentId: p.intentId,
          ventureId: intent?.ventureId ?? null,
          amountMinor: intent ? intent.amountMinor.toString() : null,
          currency: intent?.currency ?? null,
          approvalsRequired: p.approvalsRequired,
        },
      });
    }
    case "agents.tool_approval_requested": {
      const p = event.payload;
      return draft("tool.approval_requested", {
        title: `Tool call waiting for approval: ${p.tool}`,
        body: `An agent of task ${p.taskId} asks to run ${p.tool}; the request expires ${p.expiresAt}.`,
        link: "/ventures/escalations",
        data: { approvalId: p.approvalId, ventureId: p.ventureId, taskId: p.taskId, tool: p.tool },
      });
    }
    case "orchestration.task_escalated": {
      const p = event.payload;
      const name = facts.task ? `"${facts.task.title}"` : p.taskId;
      return draft("task.escalated", {
        title: `Task ${name} escalated`,
        body: clip(`${p.reason} after ${p.attempts} attempt(s). Last error: ${p.lastError}`),
        link: "/ventures/escalations",
        data: {
          taskId: p.taskId,
          ventureId: p.ventureId,
          workstreamId: p.workstreamId,
          attempts: p.attempts,
        },
      });
    }
    case "treasury.frozen":
    case "treasury.unfrozen": {
      const p = event.payload;
      const frozen = event.type === "treasury.frozen";
      const scope = p.ventureId ? `Venture ${p.ventureId}'s treasury` : "The portfolio's treasury";
      return draft(
        frozen ? "treasury.frozen" : "treasury.unfrozen",
        {
          title: `${scope} ${frozen ? "is frozen" : "is unfrozen"}`,
          body: clip(
            frozen ? `Every new money intent is denied. Reason: ${p.reason}` : `Reason: ${p.reason}`,
          ),
          link: "/inbox",
          data: { ventureId: p.ventureId },
        },
        p.portfolioId,
      );
    }
    case "compliance.finding_raised": {
      const p = event.payload;
      return draft(
        "finding.raised",
        {
          title: `Finding (${p.severity}): ${p.title}`,
          body: clip(p.detail),
          link: "/audit",
          data: { findingId: p.findingId, severity: p.severity, kind: p.kind },
        },
        p.portfolioId,
      );
    }
    case "control.paused":
    case "control.resumed": {
      const p = event.payload;
      const paused = event.type === "control.paused";
      return draft(
        paused ? "control.paused" : "control.resumed",
        {
          title: paused ? "Everything is paused" : "Everything is running again",
          body: clip(`Reason: ${p.reason}`),
          link: "/control",
          data: { epoch: p.epoch },
        },
        null,
      );
    }
    default:
      return null;
  }
}
