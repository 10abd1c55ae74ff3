// Venture memory (AGENT-007): what a venture's tasks produced, its notes and artifact drafts,
// searchable with PostgreSQL full-text search (a GIN index over a weighted tsvector kept by a
// trigger: titles weigh more than bodies). Agents search it through the memory.search tool;
// founders through the venture page.
import type { Db, Tx } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { newId } from "@/server/shared/ids";

export type MemoryKind = "result" | "note" | "artifact";

export type MemoryHit = {
  id: string;
  kind: string;
  title: string;
  /** The body around the matches, with matches in «». */
  snippet: string;
  taskId: string | null;
  rank: number;
  createdAt: Date;
};

const maxBodyBytes = 64 * 1024;

/**
 * Records one memory. A task's result is recorded once (unique per venture, task and kind), so a
 * redelivered event does not duplicate it.
 */
export async function recordMemory(
  db: Db | Tx,
  memory: {
    portfolioId: string;
    ventureId: string;
    taskId: string | null;
    kind: MemoryKind;
    title: string;
    body: string;
    now: Date;
  },
): Promise<{ id: string; created: boolean }> {
  const id = newId("memory");
  const rows = await db.$queryRawUnsafe<Array<{ id: string }>>(
    `INSERT INTO venture_memory (id, portfolio_id, venture_id, task_id, kind, title, body, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (venture_id, task_id, kind) DO NOTHING RETURNING id`,
    id,
    memory.portfolioId,
    memory.ventureId,
    memory.taskId,
    memory.kind,
    memory.title.slice(0, 300),
    Buffer.from(memory.body, "utf8").subarray(0, maxBodyBytes).toString("utf8"),
    memory.now,
  );
  return { id: rows[0]?.id ?? id, created: rows.length > 0 };
}

/**
 * Full-text search over one venture's memory, best matches first. The query is plain words
 * (websearch syntax: quotes for phrases, - to exclude), never raw tsquery, so no input can break it.
 */
export async function searchMemory(
  db: Db | Tx,
  options: { ventureId: string; query: string; limit?: number },
): Promise<MemoryHit[]> {
  const query = options.query.trim();
  if (query.length === 0 || query.length > 500) {
    throw new AppError("BAD_REQUEST", "query must be 1 to 500 characters", {
      fields: { query: "1 to 500 characters" },
    });
  }
  const limit = Math.min(Math.max(options.limit ?? 5, 1), 50);
  return db.$queryRawUnsafe<MemoryHit[]>(
    `WITH q AS (SELECT websearch_to_tsquery('english', $2) AS query)
     SELECT m.id, m.kind, m.title, m.task_id AS "taskId", m.created_at AS "createdAt",
            ts_rank(m.search_vector, q.query)::float8 AS rank,
            ts_headline('english', m.body, q.query, 'StartSel=«, StopSel=», MaxFragments=2, MaxWords=30, MinWords=8') AS snippet
       FROM venture_memory m, q
      WHERE m.venture_id = $1 AND m.search_vector @@ q.query
      ORDER BY rank DESC, m.created_at DESC
      LIMIT $3`,
    options.ventureId,
    query,
    limit,
  );
}
