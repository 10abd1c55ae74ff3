// What each portfolio role may do. Every tRPC procedure names one permission in its meta; the
// role x procedure matrix test walks the router and checks every procedure against this table.
import type { Role } from "@/server/shared/events/catalog";

export type { Role };

const everyone: readonly Role[] = ["founder", "finance_controller", "auditor", "admin"];

export const permissions = {
  "portfolio.read": everyone,
  "venture.read": everyone,
  "venture.create": ["founder", "admin"],
  "member.manage": ["admin"],
  /** Rename, move along the lifecycle, set concurrency and fair-share weight (ORCH-001, ORCH-005). */
  "venture.manage": ["founder", "admin"],
  /** Submit goals and task DAGs (CTRL-001). */
  "task.submit": ["founder", "admin"],
  /** Pause, resume, cancel, retry and edit tasks, workstreams and ventures (ORCH-004, ORCH-006). */
  "task.control": ["founder", "admin"],
  /** Approve or deny a "needs approval" tool call (AGENT-002). */
  "tool.approve": ["founder", "admin"],
  /** Issue a workload token for an external agent (AGENT-003, AGENT-008). */
  "agent.credential.issue": ["founder", "admin"],
  /** The kill-switch is global: held in any one portfolio, these act on everything (CTRL-003). */
  "control.pause": ["founder", "admin"],
  "control.resume": ["founder", "admin"],
  "policy.read": everyone,
  "policy.publish": ["admin"],
  /** Browse the audit log, verify the chain, see findings (read-only, every role). */
  "audit.read": everyone,
  /** Build and download evidence packs: the whole chain of a period leaves the system. */
  "audit.export": ["auditor", "admin"],
  /** See people's and customers' personal data opened: DSAR exports, event payloads (COMPL-004). */
  "personal_data.read": ["auditor", "admin"],
  /** Erase a data subject: destroy their key and scrub clear copies (COMPL-005). */
  "personal_data.erase": ["admin"],
  /** Acknowledge, resolve or reopen findings (COMPL-006). */
  "finding.manage": ["auditor", "admin"],
  /** Request money (TREAS-001). */
  "intent.create": ["founder", "admin"],
  /** See money intents and the approval inbox (TREAS-006). */
  "intent.read": everyone,
  /** Approve or deny a pending money intent (TREAS-006). */
  "intent.decide": ["finance_controller", "admin"],
  /** Freeze and unfreeze a venture's or the portfolio's treasury (TREAS-007). */
  "treasury.freeze": ["finance_controller", "admin"],
  /** Run and read reconciliations of the ledger against rail statements (TREAS-009, ADR 0011). */
  "treasury.reconcile": ["finance_controller", "admin"],
  /** Take a payment from a customer through the built-in sandbox rail (TREAS-008, UJ-1). */
  "revenue.sandbox": ["founder", "admin"],
  /** Register, disable and read outgoing webhooks and their delivery log (CTRL-006): URLs may carry credentials. */
  "webhook.manage": ["admin"],
  /** Move budget from one venture to another: a money intent approved in the inbox (ORCH-007, ADR 0016). */
  "budget.transfer": ["founder", "finance_controller", "admin"],
  /** Record capital deposited into the portfolio treasury (ADR 0012). */
  "treasury.deposit": ["finance_controller", "admin"],
  /** Balances, trial balance, P&L, runway and their CSV exports (TREAS-009; read-only, every role). */
  "ledger.read": everyone,
  /** Create artifacts, add IR versions, build them and submit them for review (ARTIF-001…007). */
  "artifact.edit": ["founder", "admin"],
  /** Approve an artifact in review or send it back; never one you wrote or submitted yourself. */
  "artifact.review": ["founder", "admin"],
  /** Publish an approved artifact, after the publishing policy allows it (ARTIF-007). */
  "artifact.publish": ["founder", "admin"],
  /**
   * Configure a venture's scale-up playbook (ORCH-008, ADR 0017). The budget increase it fires is
   * requested for whoever configured it, who then cannot approve it; two others must.
   */
  "playbook.manage": ["founder", "finance_controller", "admin"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof permissions;

export function roleAllows(role: Role, permission: Permission): boolean {
  return (permissions[permission] as readonly Role[]).includes(role);
}
