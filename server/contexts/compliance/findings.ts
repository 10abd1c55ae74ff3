// Findings (COMPL-006): something a person must look at, with severity, owner and status
// (open → acknowledged → resolved, changed by auditors and admins). Raising one appends
// compliance.finding_raised in the same transaction as the row.
//
// One problem, one finding: a caller that names a `dedupeKey` (a continuous check: the kind and
// the entity, e.g. "unapproved_spend:mi_…") gets the existing finding back whatever its status,
// so a problem that was looked at and resolved is not raised again on the next run. Without a
// key, an open or acknowledged finding of the same kind, title and portfolio is not raised twice
// (a scheduled verification that keeps failing yields one finding, not one per run).
import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import {
  type FindingSeverity,
  type FindingStatus,
  findingStatuses,
} from "@/server/shared/events/catalog/compliance";
import type { EventActor } from "@/server/shared/events/envelope";
import type { CommandContext } from "@/server/shared/events/store";
import { appendEvents } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";

export type { FindingSeverity, FindingStatus };

export type FindingView = {
  id: string;
  portfolioId: string | null;
  severity: FindingSeverity;
  kind: string;
  title: string;
  detail: string;
  status: FindingStatus;
  owner: string | null;
  createdAt: Date;
  dedupeKey: string | null;
  updatedAt: Date | null;
  statusNote: string | null;
  statusChangedBy: string | null;
};

export async function raiseFinding(
  tx: Tx,
  ctx: CommandContext,
  finding: {
    severity: FindingSeverity;
    kind: string;
    title: string;
    detail: string;
    owner?: string | null;
    /** null for deployment-wide findings, shown in every portfolio. */
    portfolioId: string | null;
    /** The problem's identity: a finding with this key (any status) means it is already raised. */
    dedupeKey?: string | null;
  },
): Promise<{ findingId: string; raised: boolean }> {
  const dedupeKey = finding.dedupeKey ?? null;
  // Two checkers seeing one problem at once: the second waits here and then finds the first's row.
  await tx.$queryRawUnsafe(
    "SELECT pg_advisory_xact_lock(hashtextextended($1, 6006))",
    dedupeKey ?? `${finding.kind}|${finding.title}|${finding.portfolioId ?? ""}`,
  );
  const [existing] = dedupeKey
    ? await tx.$queryRawUnsafe<Array<{ id: string }>>(
        "SELECT id FROM findings WHERE dedupe_key = $1",
        dedupeKey,
      )
    : await tx.$queryRawUnsafe<Array<{ id: string }>>(
        `SELECT id FROM findings WHERE kind = $1 AND title = $2 AND status <> 'resolved'
           AND portfolio_id IS NOT DISTINCT FROM $3 LIMIT 1`,
        finding.kind,
        finding.title,
        finding.portfolioId,
      );
  if (existing) return { findingId: existing.id, raised: false };
  const findingId = newId("finding");
  const [event] = await appendEvents(tx, ctx, [
    {
      type: "compliance.finding_raised",
      stream: { type: "finding", id: findingId },
      expectedVersion: 0,
      portfolioId: finding.portfolioId,
      payload: {
        findingId,
        severity: finding.severity,
        kind: finding.kind,
        title: finding.title,
        detail: finding.detail,
        owner: finding.owner ?? null,
        portfolioId: finding.portfolioId,
      },
    },
  ]);
  await tx.$executeRawUnsafe(
    `INSERT INTO findings (id, portfolio_id, severity, kind, title, detail, status, owner, created_at, dedupe_key, version)
     VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, 1)`,
    findingId,
    finding.portfolioId,
    finding.severity,
    finding.kind,
    finding.title,
    finding.detail,
    finding.owner ?? null,
    new Date(event!.occurredAt),
    dedupeKey,
  );
  return { findingId, raised: true };
}

type FindingRow = {
  id: string;
  portfolio_id: string | null;
  severity: FindingSeverity;
  kind: string;
  title: string;
  detail: string;
  status: FindingStatus;
  owner: string | null;
  created_at: Date;
  dedupe_key: string | null;
  updated_at: Date | null;
  status_note: string | null;
  status_changed_by: string | null;
  version: number;
};

const findingColumns = `id, portfolio_id, severity, kind, title, detail, status, owner, created_at, dedupe_key,
  updated_at, status_note, status_changed_by, version`;

function toView(row: FindingRow): FindingView {
  return {
    id: row.id,
    portfolioId: row.portfolio_id,
    severity: row.severity,
    kind: row.kind,
    title: row.title,
    detail: row.detail,
    status: row.status,
    owner: row.owner,
    createdAt: row.created_at,
    dedupeKey: row.dedupe_key,
    updatedAt: row.updated_at,
    statusNote: row.status_note,
    statusChangedBy: row.status_changed_by,
  };
}

/** A portfolio's findings and the deployment-wide ones: open, then acknowledged, then resolved; newest first. */
export async function listFindings(options: {
  db: Db;
  portfolioId: string;
  status?: FindingStatus;
  kind?: string;
  limit?: number;
}): Promise<FindingView[]> {
  const rows = await options.db.$queryRawUnsafe<FindingRow[]>(
    `SELECT ${findingColumns} FROM findings
      WHERE (portfolio_id = $1 OR portfolio_id IS NULL) AND ($2::text IS NULL OR status = $2)
        AND ($4::text IS NULL OR kind = $4)
      ORDER BY array_position(ARRAY['open', 'acknowledged', 'resolved'], status), created_at DESC, id LIMIT $3`,
    options.portfolioId,
    options.status ?? null,
    Math.min(options.limit ?? 100, 500),
    options.kind ?? null,
  );
  return rows.map(toView);
}

const maxNoteLength = 2_000;
const maxOwnerLength = 200;

/**
 * Acknowledges, resolves or reopens a finding of the portfolio (or a deployment-wide one). A
 * resolution needs a note saying why. Setting the status it already has (and the same owner)
 * changes nothing and records nothing.
 */
export async function changeFindingStatus(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  portfolioId: string;
  findingId: string;
  status: FindingStatus;
  note?: string | null;
  /** A new owner (a person or a role); undefined keeps the current one. */
  owner?: string | null;
}): Promise<FindingView> {
  const fields: Record<string, string> = {};
  if (!findingStatuses.includes(options.status)) fields.status = `one of ${findingStatuses.join(", ")}`;
  const note = options.note?.trim() || null;
  if (note && note.length > maxNoteLength) fields.note = `at most ${maxNoteLength} characters`;
  if (options.status === "resolved" && !note) fields.note = "required when resolving: say why";
  const owner = options.owner === undefined ? undefined : options.owner?.trim() || null;
  if (owner && owner.length > maxOwnerLength) fields.owner = `at most ${maxOwnerLength} characters`;
  if (Object.keys(fields).length > 0) {
    throw new AppError(
      "BAD_REQUEST",
      `Invalid finding change: ${Object.entries(fields)
        .map(([field, message]) => `${field}: ${message}`)
        .join("; ")}`,
      { fields },
    );
  }
  return withTransaction(options.db, async (tx) => {
    const [row] = await tx.$queryRawUnsafe<FindingRow[]>(
      `SELECT ${findingColumns} FROM findings
        WHERE id = $1 AND (portfolio_id = $2 OR portfolio_id IS NULL) FOR UPDATE`,
      options.findingId,
      options.portfolioId,
    );
    if (!row) throw new AppError("NOT_FOUND", `Finding ${options.findingId} not found in this portfolio`);
    const nextOwner = owner === undefined ? row.owner : owner;
    if (row.status === options.status && nextOwner === row.owner) return toView(row);
    const [event] = await appendEvents(tx, options, [
      {
        type: "compliance.finding_status_changed",
        stream: { type: "finding", id: row.id },
        expectedVersion: row.version,
        portfolioId: row.portfolio_id,
        payload: { findingId: row.id, from: row.status, to: options.status, note, owner: nextOwner },
      },
    ]);
    const [updated] = await tx.$queryRawUnsafe<FindingRow[]>(
      `UPDATE findings SET status = $2, owner = $3, status_note = $4, status_changed_by = $5, updated_at = $6,
              version = version + 1
        WHERE id = $1 RETURNING ${findingColumns}`,
      row.id,
      options.status,
      nextOwner,
      note,
      `${options.actor.type}:${options.actor.id}`,
      new Date(event!.occurredAt),
    );
    return toView(updated!);
  });
}
