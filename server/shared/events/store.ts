// Appending to and reading from the event log. Appends run inside the caller's transaction, so
// a command's events, its projection updates and the outbox rows commit together.

import { canonicalJson } from "../canonical-json";
import { type Clock, systemClock } from "../clock";
import type { Db, Tx } from "../db";
import { AppError, invariant } from "../errors";
import { newId } from "../ids";
import { type EventPayload, type EventType, eventCatalog } from "./catalog";
import type { AnyEnvelope, EventActor } from "./envelope";

export type NewEvent = {
  [T in EventType]: {
    type: T;
    stream: { type: string; id: string };
    /** The stream's version before this event: 0 for a new stream. */
    expectedVersion: number;
    portfolioId: string | null;
    payload: EventPayload<T>;
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
export async function appendEvents(tx: Tx, ctx: CommandContext, events: NewEvent[]): Promise<AnyEnvelope[]> {
  if (events.length === 0) return [];
  const occurredAt = (ctx.clock ?? systemClock).now().toISOString();
  const bodies = events.map((event) => {
    const entry = eventCatalog[event.type];
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
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      causationId: ctx.causationId ?? null,
      payload: payload.data as Record<string, unknown>,
    };
  });
  const texts = bodies.map((body) => canonicalJson(body));
  let rows: Array<{ sequence: bigint; prev_hash: string; hash: string }>;
  try {
    rows = await tx.$queryRawUnsafe<Array<{ sequence: bigint; prev_hash: string; hash: string }>>(
      `SELECT sequence, prev_hash, hash FROM venture_append_events($1::text[], $2::text[], $3::int[], $4::text[],
         $5::text[], $6::int[], $7::text[], $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[])`,
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
      texts,
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
  invariant(rows.length === bodies.length, "append returned one row per event");
  return bodies.map((body, i) => {
    const row = rows[i]!;
    return {
      ...body,
      sequence: Number(row.sequence),
      prevHash: row.prev_hash,
      hash: row.hash,
    } as AnyEnvelope;
  });
}

function isStreamVersionConflict(error: unknown): boolean {
  const text = `${String(error)} ${JSON.stringify((error as { meta?: unknown })?.meta ?? {})}`;
  return text.includes("events_stream_type_stream_id_stream_version_key") || /stream_version/.test(text);
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

export async function readEventsBySequence(db: Db | Tx, sequences: bigint[]): Promise<AnyEnvelope[]> {
  if (sequences.length === 0) return [];
  const rows = await db.$queryRawUnsafe<EventRow[]>(
    "SELECT sequence, envelope, prev_hash, hash FROM events WHERE sequence = ANY($1::bigint[]) ORDER BY sequence",
    sequences.map(String),
  );
  return rows.map(toEnvelope);
}
