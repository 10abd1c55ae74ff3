// Appending to, sealing and reading the event log. Appends run inside the caller's transaction, so
// a command's events, its projection updates and the outbox rows commit together; the sealer
// then chains committed events in the order it sees them (docs/decisions/0005). Readers read
// sealed events, in chain order, from the `events` view.

import { canonicalJson } from "../canonical-json";
import { type Clock, systemClock } from "../clock";
import { commitWithNextStatement, type Db, inTransaction, type Tx, withTransaction } from "../db";
import { AppError, invariant } from "../errors";
import { newId } from "../ids";
import { type EventPayload, type EventType, eventCatalog } from "./catalog";
import type { AnyEnvelope, EventActor } from "./envelope";
import { carriesPersonalData, sealPersonalData } from "./personal-data-store";

export type NewEvent = {
  [T in EventType]: {
    type: T;
    stream: { type: string; id: string };
    /** The stream's version before this event: 0 for a new stream. */
    expectedVersion: number;
    portfolioId: string | null;
    payload: EventPayload<T>;
    /** Who and what caused this event, when not the append's context: several commands written
     * in one transaction (group commit, docs/decisions/0020) each keep their own. */
    context?: Pick<CommandContext, "actor" | "correlationId" | "causationId">;
  };
}[EventType];

export type CommandContext = {
  actor: EventActor;
  correlationId: string;
  causationId?: string | null;
  clock?: Clock;
};

/**
 * Appends events with optimistic concurrency: each event takes version expectedVersion + 1 of its
 * stream, and a stream version that already exists is a CONFLICT, never a lost write.
 */
/** An event as appended: its place in the hash chain (sequence, prevHash, hash) comes at sealing. */
export type AppendedEvent = Omit<AnyEnvelope, "sequence" | "prevHash" | "hash"> & { position: bigint };

/**
 * Appends events with optimistic concurrency: each event takes version expectedVersion + 1 of its
 * stream, and a stream version that already exists is a CONFLICT, never a lost write. The events
 * are chained by the sealer after the transaction commits (docs/decisions/0005).
 *
 * Inside withTransaction the events join the caller's transaction. Outside one, the batch is a
 * transaction of its own: a single statement (events and outbox rows together, one round trip),
 * or, when personal fields must be sealed first, a transaction opened here.
 */
export async function appendEvents(
  tx: Db | Tx,
  ctx: CommandContext,
  events: NewEvent[],
  /** `commit`: the append is the transaction's last statement and carries its COMMIT (db.ts). */
  options: { commit?: boolean } = {},
): Promise<AppendedEvent[]> {
  if (events.length === 0) return [];
  if (!inTransaction() && events.some((event) => carriesPersonalData(event.type))) {
    return withTransaction(tx as Db, (inner) => appendEvents(inner, ctx, events));
  }
  const occurredAt = (ctx.clock ?? systemClock).now().toISOString();
  const bodies = events.map((event) => {
    const entry = eventCatalog[event.type];
    const cause = event.context ?? ctx;
    const payload = entry.payload.safeParse(event.payload);
    invariant(
      payload.success,
      `payload of ${event.type} does not match the catalog: ${payload.error?.message}`,
    );
    return {
      id: newId("event"),
      type: event.type,
      schemaVersion: entry.schemaVersion,
      stream: { type: event.stream.type, id: event.stream.id, version: event.expectedVersion + 1 },
      portfolioId: event.portfolioId,
      occurredAt,
      actor: cause.actor,
      correlationId: cause.correlationId,
      causationId: cause.causationId ?? null,
      payload: payload.data as Record<string, unknown>,
    };
  });
  // Personal fields are sealed with their subject's key before the envelope is hashed
  // (docs/decisions/0013); a batch without any skips this entirely.
  if (bodies.some((body) => carriesPersonalData(body.type))) await sealPersonalData(tx, bodies);
  let rows: Array<{ position: bigint }>;
  if (options.commit) commitWithNextStatement();
  try {
    rows = await tx.$queryRawUnsafe<Array<{ position: bigint }>>(
      `SELECT position FROM venture_append_events($1::text[], $2::text[], $3::int[], $4::text[],
         $5::text[], $6::int[], $7::text[], $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[])
         AS position`,
      bodies.map((b) => b.id),
      bodies.map((b) => b.type),
      bodies.map((b) => b.schemaVersion),
      bodies.map((b) => b.stream.type),
      bodies.map((b) => b.stream.id),
      bodies.map((b) => b.stream.version),
      bodies.map((b) => b.portfolioId),
      bodies.map((b) => b.occurredAt),
      bodies.map((b) => b.actor.type),
      bodies.map((b) => b.actor.id),
      bodies.map((b) => b.correlationId),
      bodies.map((body) => canonicalJson(body)),
    );
  } catch (error) {
    if (isStreamVersionConflict(error)) {
      const first = bodies[0]!;
      throw new AppError(
        "CONFLICT",
        `Stream ${first.stream.type}/${first.stream.id} was changed concurrently: version ${first.stream.version} already exists`,
        { stream: first.stream },
      );
    }
    throw error;
  }
  invariant(rows.length === bodies.length, "append returned one position per event");
  return bodies.map((body, i) => ({ ...body, position: rows[i]!.position }) as AppendedEvent);
}

/**
 * Chains up to `limit` committed events, oldest append first; returns how many. Only one sealer
 * runs at a time across all processes (an advisory lock); a concurrent call returns 0.
 */
export async function sealEvents(db: Db | Tx, limit = 1_000): Promise<number> {
  const rows = await db.$queryRawUnsafe<Array<{ sealed: number }>>(
    "SELECT venture_seal_events($1) AS sealed",
    limit,
  );
  return rows[0]?.sealed ?? 0;
}

function isStreamVersionConflict(error: unknown): boolean {
  const text = `${String(error)} ${JSON.stringify((error as { meta?: unknown })?.meta ?? {})}`;
  return text.includes("event_log_stream_type_stream_id_stream_version_key") || /stream_version/.test(text);
}

type EventRow = { sequence: bigint; envelope: string; prev_hash: string; hash: string };

function toEnvelope(row: EventRow): AnyEnvelope {
  return {
    ...(JSON.parse(row.envelope) as object),
    sequence: Number(row.sequence),
    prevHash: row.prev_hash,
    hash: row.hash,
  } as AnyEnvelope;
}

export async function readEvents(
  db: Db | Tx,
  options: { afterSequence?: number; limit?: number; portfolioId?: string; correlationId?: string } = {},
): Promise<AnyEnvelope[]> {
  const limit = Math.min(options.limit ?? 100, 1_000);
  const rows = await db.$queryRawUnsafe<EventRow[]>(
    `SELECT sequence, envelope, prev_hash, hash FROM events
      WHERE sequence > $1 AND ($2::text IS NULL OR portfolio_id = $2) AND ($3::text IS NULL OR correlation_id = $3)
      ORDER BY sequence LIMIT $4`,
    options.afterSequence ?? 0,
    options.portfolioId ?? null,
    options.correlationId ?? null,
    limit,
  );
  return rows.map(toEnvelope);
}

/** The head of the chain: the last sealed sequence and its hash. */
export async function chainHead(db: Db | Tx): Promise<{ sequence: number; hash: string }> {
  const rows = await db.$queryRawUnsafe<Array<{ sequence: bigint; hash: string }>>(
    "SELECT sequence, hash FROM chain_head WHERE id = 1",
  );
  invariant(rows[0], "chain_head has its row");
  return { sequence: Number(rows[0].sequence), hash: rows[0].hash };
}
