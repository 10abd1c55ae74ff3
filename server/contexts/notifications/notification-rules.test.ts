import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AnyEnvelope } from "@/server/shared/events/envelope";
import { formatAmount, notificationFor } from "./notification-rules";

function envelope(
  type: string,
  payload: Record<string, unknown>,
  portfolioId: string | null = "pf_a",
): AnyEnvelope {
  return {
    id: "evt_01JDX3AAAAAAAAAAAAAAAAAAAA",
    type,
    schemaVersion: 1,
    stream: { type: "x", id: "x", version: 1 },
    portfolioId,
    occurredAt: "2026-11-28T14:00:00.000Z",
    actor: { type: "system", id: "test" },
    correlationId: "cor_test",
    causationId: null,
    payload,
    sequence: 1,
    prevHash: "0".repeat(64),
    hash: "1".repeat(64),
  } as AnyEnvelope;
}

const decided = (status: string, approvalsRequired = 1) =>
  envelope("treasury.intent_decided", {
    intentId: "mi_1",
    status,
    decidedBy: "policy",
    reasons: ["Above the automatic limit"],
    holdId: null,
    approvalsRequired,
    note: null,
    decision: {},
  });

describe("notificationFor", () => {
  it("asks finance controllers and admins to approve a pending intent, with amount and purpose", () => {
    const draft = notificationFor(decided("pending_approval", 2), {
      intent: {
        amountMinor: 600_000n,
        currency: "USD",
        counterparty: "acme",
        purpose: "Ads",
        ventureId: "ven_1",
        approvalsRequired: 2,
      },
    });
    expect(draft).toMatchObject({
      kind: "intent.approval_requested",
      portfolioId: "pf_a",
      audience: ["finance_controller", "admin"],
      title: "Approval waiting: 6,000.00 USD to acme",
      link: "/inbox",
      data: { intentId: "mi_1", amountMinor: "600000", currency: "USD", approvalsRequired: 2 },
    });
    expect(draft!.body).toContain("Needs 2 approvers");
  });

  it("makes nothing of an intent approved or denied at once", () => {
    expect(notificationFor(decided("approved"))).toBeNull();
    expect(notificationFor(decided("denied"))).toBeNull();
  });

  it("tells founders and admins about escalations and tool approvals, auditors and admins about findings", () => {
    const escalated = notificationFor(
      envelope("orchestration.task_escalated", {
        taskId: "tsk_1",
        ventureId: "ven_1",
        workstreamId: "ws_1",
        attempts: 3,
        reason: "retries exhausted",
        lastError: "boom",
      }),
      { task: { title: "Write copy" } },
    );
    expect(escalated).toMatchObject({
      kind: "task.escalated",
      audience: ["founder", "admin"],
      title: 'Task "Write copy" escalated',
    });
    const finding = notificationFor(
      envelope(
        "compliance.finding_raised",
        {
          findingId: "fnd_1",
          severity: "critical",
          kind: "chain",
          title: "Chain broken",
          detail: "at 7",
          owner: null,
          portfolioId: null,
        },
        null,
      ),
    );
    // A deployment-wide finding goes to every portfolio's auditors and admins.
    expect(finding).toMatchObject({
      kind: "finding.raised",
      portfolioId: null,
      audience: ["auditor", "admin"],
    });
  });

  it("tells everyone everywhere about the kill-switch", () => {
    const paused = notificationFor(
      envelope("control.paused", { scope: "global", epoch: 3, reason: "incident" }, null),
    );
    expect(paused).toMatchObject({
      kind: "control.paused",
      portfolioId: null,
      audience: ["founder", "finance_controller", "auditor", "admin"],
      body: "Reason: incident",
      data: { epoch: 3 },
    });
  });

  it("ignores events that notify nobody", () => {
    expect(
      notificationFor(envelope("orchestration.portfolio_created", { portfolioId: "pf_a", name: "A" })),
    ).toBeNull();
  });
});

describe("formatAmount", () => {
  it("formats minor units exactly, with the currency's scale", () => {
    expect(formatAmount(0n, "USD")).toBe("0.00 USD");
    expect(formatAmount(5n, "USD")).toBe("0.05 USD");
    expect(formatAmount(123_456_789n, "USD")).toBe("1,234,567.89 USD");
    expect(formatAmount(1500n, "JPY")).toBe("1,500 JPY");
    expect(formatAmount(1n, "KWD")).toBe("0.001 KWD");
  });

  it("round-trips: the digits shown are the minor units (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 18n }), (amount) => {
        const digits = formatAmount(amount, "USD").replace(/[^0-9]/g, "");
        expect(BigInt(digits)).toBe(amount);
      }),
    );
  });
});
