// The founder dashboard's activity feed (CTRL-002, CTRL-004): a portfolio's newest sealed events,
// newest first, paged by position. One backward range scan of event_log's (portfolio_id, position)
// index that stops after `limit` rows, joined to the chain by key: no scan of the log, however long.
import type { Db } from "@/server/shared/db";

export type ActivityItem = {
  sequence: number;
  position: string;
  id: string;
  type: string;
  streamType: string;
  streamId: string;
  occurredAt: Date;
  actor: { type: string; id: string };
};

export async function activityFeed(options: {
  db: Db;
  portfolioId: string;
  /** Only events appended before this position (the last item's position from the previous page). */
  beforePosition?: string | null;
  limit?: number;
}): Promise<{ items: ActivityItem[]; nextBeforePosition: string | null }> {
  const limit = Math.min(Math.max(options.limit ?? 25, 1), 100);
  const rows = await options.db.$queryRawUnsafe<
    Array<{
      sequence: bigint;
      position: bigint;
      id: string;
      type: string;
      stream_type: string;
      stream_id: string;
      occurred_at: Date;
      actor_type: string;
      actor_id: string;
    }>
  >(
    `SELECT c.sequence, e.position, e.id, e.type, e.stream_type, e.stream_id, e.occurred_at, e.actor_type, e.actor_id
       FROM event_log e JOIN event_chain c ON c.event_id = e.id
      WHERE e.portfolio_id = $1 AND ($2::bigint IS NULL OR e.position < $2::bigint)
      ORDER BY e.position DESC
      LIMIT $3`,
    options.portfolioId,
    options.beforePosition ?? null,
    limit + 1,
  );
  const items = rows.slice(0, limit).map((row) => ({
    sequence: Number(row.sequence),
    position: row.position.toString(),
    id: row.id,
    type: row.type,
    streamType: row.stream_type,
    streamId: row.stream_id,
    occurredAt: row.occurred_at,
    actor: { type: row.actor_type, id: row.actor_id },
  }));
  return { items, nextBeforePosition: rows.length > limit ? (items.at(-1)?.position ?? null) : null };
}
