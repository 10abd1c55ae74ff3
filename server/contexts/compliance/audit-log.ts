// The audit log browser (CTRL-007): a portfolio's sealed events, newest first, filtered by type,
// actor, venture or stream, time and text in the envelope; and one event with its neighbours in
// the chain. The chain runs across portfolios, so a neighbour from elsewhere shows only its
// place in the chain (sequence and hashes), never its content.
import type { Db } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { chainHash } from "@/server/shared/events/chain";
import { type OpenedPersonalData, openPersonalData } from "@/server/shared/events/personal-data-store";
import { chainHead } from "@/server/shared/events/store";

export type AuditEventSummary = {
  sequence: number;
  id: string;
  type: string;
  streamType: string;
  streamId: string;
  occurredAt: Date;
  actor: { type: string; id: string };
  correlationId: string;
  hash: string;
};

export type AuditEventFilters = {
  /** Exact type, or a prefix ending in "." or "_" (e.g. "treasury." or "treasury.intent_"). */
  type?: string;
  /** "type:id" or just an id. */
  actor?: string;
  /** Events of this venture's stream or naming it in their payload. */
  ventureId?: string;
  streamId?: string;
  from?: Date;
  to?: Date;
  /** Text anywhere in the canonical envelope (case-insensitive). */
  text?: string;
};

type SummaryRow = {
  sequence: bigint;
  id: string;
  type: string;
  stream_type: string;
  stream_id: string;
  occurred_at: Date;
  actor_type: string;
  actor_id: string;
  correlation_id: string;
  hash: string;
};

function toSummary(row: SummaryRow): AuditEventSummary {
  return {
    sequence: Number(row.sequence),
    id: row.id,
    type: row.type,
    streamType: row.stream_type,
    streamId: row.stream_id,
    occurredAt: row.occurred_at,
    actor: { type: row.actor_type, id: row.actor_id },
    correlationId: row.correlation_id,
    hash: row.hash,
  };
}

/** Escapes LIKE's wildcards so user text matches literally. */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function searchAuditEvents(options: {
  db: Db;
  portfolioId: string;
  filters: AuditEventFilters;
  /** Keyset paging: only events before this sequence. */
  beforeSequence?: number;
  limit?: number;
}): Promise<{ events: AuditEventSummary[]; nextBeforeSequence: number | null; headSequence: number }> {
  const limit = Math.min(options.limit ?? 50, 200);
  const f = options.filters;
  const conditions = ["portfolio_id = $1"];
  const params: unknown[] = [options.portfolioId];
  const add = (sql: (n: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(sql(`$${params.length}`));
  };
  if (f.type) {
    if (f.type.endsWith(".") || f.type.endsWith("_")) add((p) => `type LIKE ${p}`, `${likeLiteral(f.type)}%`);
    else add((p) => `type = ${p}`, f.type);
  }
  if (f.actor) {
    const [type, id] = f.actor.includes(":") ? f.actor.split(":", 2) : [null, f.actor];
    add((p) => `actor_id = ${p}`, id);
    if (type) add((p) => `actor_type = ${p}`, type);
  }
  if (f.streamId) add((p) => `stream_id = ${p}`, f.streamId);
  if (f.ventureId) {
    params.push(f.ventureId, `%"ventureId":"${likeLiteral(f.ventureId)}"%`);
    conditions.push(`(stream_id = $${params.length - 1} OR envelope LIKE $${params.length})`);
  }
  if (f.from) add((p) => `occurred_at >= ${p}`, f.from);
  if (f.to) add((p) => `occurred_at < ${p}`, f.to);
  if (f.text) add((p) => `envelope ILIKE ${p}`, `%${likeLiteral(f.text)}%`);
  if (options.beforeSequence !== undefined) add((p) => `sequence < ${p}`, options.beforeSequence);
  params.push(limit + 1);
  const rows = await options.db.$queryRawUnsafe<SummaryRow[]>(
    `SELECT sequence, id, type, stream_type, stream_id, occurred_at, actor_type, actor_id, correlation_id, hash
       FROM events WHERE ${conditions.join(" AND ")} ORDER BY sequence DESC LIMIT $${params.length}`,
    ...params,
  );
  const page = rows.slice(0, limit).map(toSummary);
  const head = await chainHead(options.db);
  return {
    events: page,
    nextBeforeSequence: rows.length > limit ? page.at(-1)!.sequence : null,
    headSequence: head.sequence,
  };
}

export type ChainNeighbour = {
  sequence: number;
  hash: string;
  prevHash: string;
  /** Present only when the neighbour belongs to the same portfolio. */
  id: string | null;
  type: string | null;
};

export type AuditEventDetail = AuditEventSummary & {
  portfolioId: string | null;
  causationId: string | null;
  schemaVersion: number;
  /** The payload as this reader may see it: personal fields opened, withheld or "[erased]". */
  payload: unknown;
  /** Whose personal data the event holds and how it reads here; null when it holds none. */
  personalData: OpenedPersonalData | null;
  envelope: string;
  prevHash: string;
  sealedAt: Date;
  /** The stored bytes hash to the stored hash, and the event links to the one before it. */
  hashValid: boolean;
  linksToPrevious: boolean;
  previous: ChainNeighbour | null;
  next: ChainNeighbour | null;
};

type DetailRow = SummaryRow & {
  portfolio_id: string | null;
  envelope: string;
  prev_hash: string;
  sealed_at: Date;
};

export async function getAuditEvent(options: {
  db: Db;
  portfolioId: string;
  sequence: number;
  /** The reader may see personal data (personal_data.read); otherwise it shows as withheld. */
  revealPersonalData?: boolean;
}): Promise<AuditEventDetail> {
  const rows = await options.db.$queryRawUnsafe<DetailRow[]>(
    `SELECT sequence, id, type, stream_type, stream_id, occurred_at, actor_type, actor_id, correlation_id, hash,
            portfolio_id, envelope, prev_hash, sealed_at
       FROM events WHERE sequence BETWEEN $1 - 1 AND $1 + 1 ORDER BY sequence`,
    options.sequence,
  );
  const row = rows.find((r) => Number(r.sequence) === options.sequence);
  if (!row || row.portfolio_id !== options.portfolioId) {
    throw new AppError("NOT_FOUND", `Event at sequence ${options.sequence} not found in this portfolio`);
  }
  const neighbour = (offset: number): ChainNeighbour | null => {
    const r = rows.find((candidate) => Number(candidate.sequence) === options.sequence + offset);
    if (!r) return null;
    const visible = r.portfolio_id === options.portfolioId;
    return {
      sequence: Number(r.sequence),
      hash: r.hash,
      prevHash: r.prev_hash,
      id: visible ? r.id : null,
      type: visible ? r.type : null,
    };
  };
  const envelope = JSON.parse(row.envelope) as {
    schemaVersion: number;
    causationId: string | null;
    payload: unknown;
  };
  const previous = neighbour(-1);
  const [opened] = await openPersonalData(options.db, [{ id: row.id, payload: envelope.payload }], {
    reveal: options.revealPersonalData === true,
  });
  return {
    ...toSummary(row),
    portfolioId: row.portfolio_id,
    causationId: envelope.causationId,
    schemaVersion: envelope.schemaVersion,
    payload: opened!.payload,
    personalData: opened!.personalData,
    envelope: row.envelope,
    prevHash: row.prev_hash,
    sealedAt: row.sealed_at,
    hashValid: chainHash(row.prev_hash, options.sequence, row.envelope) === row.hash,
    linksToPrevious:
      options.sequence === 1 ? row.prev_hash === "0".repeat(64) : previous?.hash === row.prev_hash,
    previous,
    next: neighbour(1),
  };
}
