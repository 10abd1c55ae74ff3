// Continuous checks (COMPL-006), run by the compliance job. Each raises at most one finding per
// problem (a dedupe key naming the problem's entity), so a check that sees the same problem on
// every run yields one finding, which people then acknowledge and resolve.
//
// - Money movements, read from the log after a cursor (every event is examined once, in chain
//   order, whatever its commit time): a ledger posting, settled hold or settlement naming a money
//   intent is checked against the intent's own stream as it was at that point —
//     denied and moved anyway             → policy_violation (critical)
//     moved without an approving decision → unapproved_spend (high)
//     moved after the approval expired    → approval_past_expiry (medium)
//   and an approval recorded after the intent's expiry → approval_past_expiry (high).
// - Evidence packs refused because the stored trail did not verify → audit_trail_integrity.
// - Pending approvals past their expiry that the expiry job has not expired (from the intents'
//   projection) → approval_past_expiry (medium).
// The scheduled verification raises its own findings (verifications.ts), reconciliation its own
// (treasury), both through findings.ts.
import type { Clock } from "@/server/shared/clock";
import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import type { FindingSeverity } from "@/server/shared/events/catalog/compliance";
import { chainHead } from "@/server/shared/events/store";
import { raiseFinding } from "./findings";

export type RaisedFinding = {
  findingId: string;
  kind: string;
  dedupeKey: string;
  portfolioId: string | null;
};

export type ChecksResult = {
  /** false when another process was running the checks: nothing was done. */
  ran: boolean;
  examinedEvents: number;
  cursor: number;
  raised: RaisedFinding[];
};

const checker = { type: "worker" as const, id: "compliance-checks" };
const movementCheck = "money_movements";
const pageSize = 2_000;
/** A pending intent this long past its expiry means the expiry job is not doing its work. */
const defaultStaleGraceMs = 10 * 60_000;

const intentIdPattern = /\bmi_[0-9A-HJKMNP-TV-Z]{26}\b/g;

const watchedTypes = [
  "treasury.hold_posted",
  "treasury.entry_posted",
  "treasury.intent_settled",
  "treasury.intent_approval_recorded",
  "treasury.intent_decided",
  "compliance.evidence_pack_failed",
];

type LogRow = {
  sequence: bigint;
  id: string;
  type: string;
  portfolio_id: string | null;
  occurred_at: Date;
  envelope: string;
};

type Finding = {
  severity: FindingSeverity;
  kind: string;
  dedupeKey: string;
  title: string;
  detail: string;
  owner: string;
  portfolioId: string | null;
};

export async function runContinuousChecks(options: {
  db: Db;
  clock?: Clock;
  staleGraceMs?: number;
  /** Events examined per call at most (the next call continues from the cursor). */
  maxEvents?: number;
}): Promise<ChecksResult> {
  const now = (options.clock ?? { now: () => new Date() }).now();
  const ctx = { actor: checker, correlationId: `checks_${now.toISOString()}`, clock: options.clock };
  return withTransaction(options.db, async (tx) => {
    // One checker at a time across processes; the others skip this round.
    const [lock] = await tx.$queryRawUnsafe<Array<{ ok: boolean }>>(
      "SELECT pg_try_advisory_xact_lock(hashtextextended('compliance-continuous-checks', 0)) AS ok",
    );
    if (!lock?.ok) return { ran: false, examinedEvents: 0, cursor: 0, raised: [] };
    const findings: Finding[] = [];
    const movement = await examineLog(tx, options.maxEvents ?? 20_000, findings);
    findings.push(...(await stalePendingApprovals(tx, now, options.staleGraceMs ?? defaultStaleGraceMs)));
    const raised: RaisedFinding[] = [];
    for (const finding of findings) {
      const result = await raiseFinding(tx, ctx, finding);
      if (result.raised) {
        raised.push({
          findingId: result.findingId,
          kind: finding.kind,
          dedupeKey: finding.dedupeKey,
          portfolioId: finding.portfolioId,
        });
      }
    }
    await tx.$executeRawUnsafe(
      `INSERT INTO compliance_checks (name, cursor_sequence, last_run_at, last_findings) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO UPDATE SET cursor_sequence = $2, last_run_at = $3, last_findings = $4`,
      movementCheck,
      movement.cursor,
      now,
      raised.length,
    );
    return { ran: true, examinedEvents: movement.examined, cursor: movement.cursor, raised };
  });
}

/** Walks the watched events after the cursor, up to the head; returns where it stopped. */
async function examineLog(
  tx: Tx,
  maxEvents: number,
  findings: Finding[],
): Promise<{ cursor: number; examined: number }> {
  const [state] = await tx.$queryRawUnsafe<Array<{ cursor_sequence: bigint }>>(
    "SELECT cursor_sequence FROM compliance_checks WHERE name = $1",
    movementCheck,
  );
  let cursor = Number(state?.cursor_sequence ?? 0n);
  const head = (await chainHead(tx)).sequence;
  let examined = 0;
  while (cursor < head && examined < maxEvents) {
    const rows = await tx.$queryRawUnsafe<LogRow[]>(
      `SELECT sequence, id, type, portfolio_id, occurred_at, envelope FROM events
        WHERE sequence > $1 AND sequence <= $2 AND type = ANY($3::text[]) ORDER BY sequence LIMIT $4`,
      cursor,
      head,
      watchedTypes,
      pageSize,
    );
    examined += rows.length;
    findings.push(...(await checkMovements(tx, rows)));
    // A short page means nothing watched remains before the head.
    cursor = rows.length < pageSize ? head : Number(rows.at(-1)!.sequence);
  }
  return { cursor, examined };
}

type IntentHistory = {
  created: { sequence: number; expiresAt: Date } | null;
  decisions: Array<{ sequence: number; status: string; decidedBy: string }>;
};

async function checkMovements(tx: Tx, rows: LogRow[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  const examined = rows.map((row) => {
    const envelope = JSON.parse(row.envelope) as { payload: Record<string, unknown> };
    return { row, payload: envelope.payload, intentIds: intentIdsOf(row.type, envelope.payload) };
  });
  const intentIds = [...new Set(examined.flatMap((e) => e.intentIds))];
  const histories = await intentHistories(tx, intentIds);
  for (const { row, payload, intentIds: ids } of examined) {
    const sequence = Number(row.sequence);
    if (row.type === "compliance.evidence_pack_failed") {
      const reason = String(payload.reason ?? "");
      if (reason.includes("does not verify")) {
        findings.push({
          severity: "critical",
          kind: "audit_trail_integrity",
          dedupeKey: `pack_refused:${String(payload.packId)}`,
          title: `Evidence pack ${String(payload.packId)} was refused: the stored audit trail does not verify`,
          detail: reason,
          owner: "admin",
          portfolioId: row.portfolio_id,
        });
      }
      continue;
    }
    for (const intentId of ids) {
      const history = histories.get(intentId) ?? { created: null, decisions: [] };
      findings.push(...judge(row, sequence, payload, intentId, history));
    }
  }
  return findings;
}

/** The money intents an event moves money for (or records an approval of). */
function intentIdsOf(type: string, payload: Record<string, unknown>): string[] {
  if (type === "treasury.intent_settled" || type === "treasury.intent_approval_recorded") {
    return typeof payload.intentId === "string" ? [payload.intentId] : [];
  }
  if (type === "treasury.intent_decided") {
    // Only a person's approval can come too late; the policy decides at creation.
    return payload.status === "approved" &&
      payload.decidedBy !== "policy" &&
      typeof payload.intentId === "string"
      ? [payload.intentId]
      : [];
  }
  if (type === "treasury.hold_posted") {
    // An intent's hold is "<intentId>:hold" (create-intent).
    const match = /^(mi_[0-9A-HJKMNP-TV-Z]{26}):hold$/.exec(String(payload.holdId ?? ""));
    return match ? [match[1]!] : [];
  }
  if (type === "treasury.entry_posted") {
    // A reversal corrects a movement, it is not one.
    if (payload.reversalOf) return [];
    const text = `${String(payload.entryId ?? "")} ${String(payload.memo ?? "")}`;
    return [...new Set(text.match(intentIdPattern) ?? [])];
  }
  return [];
}

function movedMinor(type: string, payload: Record<string, unknown>): string {
  if (type === "treasury.hold_posted") return String(payload.postedMinor);
  if (type === "treasury.intent_settled") return String(payload.amountMinor);
  if (type === "treasury.entry_posted" && Array.isArray(payload.postings)) {
    let debits = 0n;
    for (const p of payload.postings as Array<{ amountMinor: string }>) {
      const amount = BigInt(p.amountMinor);
      if (amount > 0n) debits += amount;
    }
    return debits.toString();
  }
  return "?";
}

function judge(
  row: LogRow,
  sequence: number,
  payload: Record<string, unknown>,
  intentId: string,
  history: IntentHistory,
): Finding[] {
  const portfolioId = row.portfolio_id;
  const where = `${row.type} ${row.id} at sequence ${sequence}`;
  const expiresAt = history.created?.expiresAt ?? null;
  const late = expiresAt !== null && row.occurred_at.getTime() > expiresAt.getTime();
  if (row.type === "treasury.intent_approval_recorded" || row.type === "treasury.intent_decided") {
    if (!late) return [];
    return [
      {
        severity: "high",
        kind: "approval_past_expiry",
        dedupeKey: `approval_after_expiry:${intentId}`,
        title: `Money intent ${intentId} was approved after it expired`,
        detail: `${where} (${row.occurred_at.toISOString()}) came after the intent's expiry ${expiresAt!.toISOString()}.`,
        owner: "finance_controller",
        portfolioId,
      },
    ];
  }
  const amount = movedMinor(row.type, payload);
  const before = history.decisions.filter((d) => d.sequence < sequence);
  const last = before.at(-1);
  if (!history.created) {
    return [
      {
        severity: "high",
        kind: "unapproved_spend",
        dedupeKey: `unapproved_spend:${intentId}`,
        title: `Money moved for money intent ${intentId}, which was never requested`,
        detail: `${where} moved ${amount} (minor units) naming ${intentId}; the log holds no such intent and no decision.`,
        owner: "finance_controller",
        portfolioId,
      },
    ];
  }
  if (last?.status === "approved") {
    if (!late) return [];
    // The rails may still settle a payout that completed after the hold expired: a person looks.
    return [
      {
        severity: "medium",
        kind: "approval_past_expiry",
        dedupeKey: `spend_after_expiry:${intentId}`,
        title: `Money moved for money intent ${intentId} after its approval expired`,
        detail: `${where} moved ${amount} (minor units) at ${row.occurred_at.toISOString()}; the intent expired at ${expiresAt!.toISOString()}.`,
        owner: "finance_controller",
        portfolioId,
      },
    ];
  }
  if (before.some((d) => d.status === "denied")) {
    return [
      {
        severity: "critical",
        kind: "policy_violation",
        dedupeKey: `policy_violation:${intentId}`,
        title: `Money moved for money intent ${intentId}, which was denied`,
        detail: `${where} moved ${amount} (minor units) although the intent was denied (decision at sequence ${before.find((d) => d.status === "denied")!.sequence}).`,
        owner: "finance_controller",
        portfolioId,
      },
    ];
  }
  return [
    {
      severity: "high",
      kind: "unapproved_spend",
      dedupeKey: `unapproved_spend:${intentId}`,
      title: `Money moved for money intent ${intentId} without an approving decision`,
      detail: `${where} moved ${amount} (minor units) while the intent was ${last ? last.status.replace("_", " ") : "undecided"}.`,
      owner: "finance_controller",
      portfolioId,
    },
  ];
}

/** Each intent's creation (with its expiry) and decisions, from its own stream in the log. */
async function intentHistories(tx: Tx, intentIds: string[]): Promise<Map<string, IntentHistory>> {
  const histories = new Map<string, IntentHistory>();
  if (intentIds.length === 0) return histories;
  const rows = await tx.$queryRawUnsafe<
    Array<{ sequence: bigint; stream_id: string; type: string; envelope: string }>
  >(
    `SELECT sequence, stream_id, type, envelope FROM events
      WHERE stream_type = 'money_intent' AND stream_id = ANY($1::text[])
        AND type IN ('treasury.intent_created', 'treasury.intent_decided')
      ORDER BY sequence`,
    intentIds,
  );
  for (const row of rows) {
    const history = histories.get(row.stream_id) ?? { created: null, decisions: [] };
    const payload = (JSON.parse(row.envelope) as { payload: Record<string, unknown> }).payload;
    if (row.type === "treasury.intent_created") {
      history.created = { sequence: Number(row.sequence), expiresAt: new Date(String(payload.expiresAt)) };
    } else {
      history.decisions.push({
        sequence: Number(row.sequence),
        status: String(payload.status),
        decidedBy: String(payload.decidedBy),
      });
    }
    histories.set(row.stream_id, history);
  }
  return histories;
}

/** Pending approvals the expiry job should have expired: it is not running, or failing. */
async function stalePendingApprovals(tx: Tx, now: Date, graceMs: number): Promise<Finding[]> {
  const rows = await tx.$queryRawUnsafe<
    Array<{ id: string; portfolio_id: string; expires_at: Date; amount_minor: bigint; currency: string }>
  >(
    `SELECT id, portfolio_id, expires_at, amount_minor, currency FROM money_intents
      WHERE status = 'pending_approval' AND expires_at < $1 ORDER BY expires_at LIMIT 500`,
    new Date(now.getTime() - graceMs),
  );
  return rows.map((row) => ({
    severity: "medium" as const,
    kind: "approval_past_expiry",
    dedupeKey: `stale_approval:${row.id}`,
    title: `Money intent ${row.id} is still waiting for approval after it expired`,
    detail: `${row.amount_minor} ${row.currency.trim()} (minor units), expired ${row.expires_at.toISOString()}: the intent expiry job should have expired it and released its hold.`,
    owner: "finance_controller",
    portfolioId: row.portfolio_id,
  }));
}
