// Online verification of the stored log: walks the chain in sequence order in pages and names
// the first event that was modified, removed, inserted or reordered.
import type { Db } from "../db";
import { ChainVerifier } from "./chain";

export type VerifyResult = {
  ok: boolean;
  checkedEvents: number;
  firstBadSequence?: number;
  eventId?: string | null;
  reason?: string;
  message?: string;
};

export async function verifyEventLog(
  db: Db,
  options: { pageSize?: number; onProgress?: (checked: number, total: number) => void } = {},
): Promise<VerifyResult> {
  const pageSize = options.pageSize ?? 5_000;
  const heads = await db.$queryRawUnsafe<Array<{ sequence: bigint; hash: string }>>(
    "SELECT sequence, hash FROM chain_head WHERE id = 1",
  );
  const head = heads[0] ? { sequence: Number(heads[0].sequence), hash: heads[0].hash } : null;
  const verifier = new ChainVerifier();
  let after = -1;
  for (;;) {
    // A LEFT JOIN, so a chain entry whose event row was deleted is named rather than skipped.
    const rows = await db.$queryRawUnsafe<
      Array<{ sequence: bigint; id: string; envelope: string | null; prev_hash: string; hash: string }>
    >(
      `SELECT c.sequence, c.event_id AS id, e.envelope, c.prev_hash, c.hash
         FROM event_chain c LEFT JOIN event_log e ON e.id = c.event_id
        WHERE c.sequence > $1 AND c.sequence <= $3 ORDER BY c.sequence LIMIT $2`,
      after,
      pageSize,
      // The walk stops at the head read first: events sealed while it runs are checked next time,
      // instead of looking like a head mismatch.
      head?.sequence ?? Number.MAX_SAFE_INTEGER,
    );
    for (const row of rows) {
      if (row.envelope === null) {
        verifier.failure = {
          sequence: Number(row.sequence),
          eventId: row.id,
          reason: "removed",
          message: `event ${row.id} at sequence ${row.sequence} was removed from the log`,
        };
        break;
      }
      const ok = verifier.push({
        sequence: Number(row.sequence),
        id: row.id,
        envelope: row.envelope,
        prevHash: row.prev_hash,
        hash: row.hash,
      });
      if (!ok) break;
    }
    options.onProgress?.(verifier.checked, head?.sequence ?? verifier.checked);
    if (verifier.failure || rows.length < pageSize) break;
    after = Number(rows.at(-1)!.sequence);
  }
  let failure = verifier.finish(head);
  if (!failure) {
    // An event row that is neither chained nor waiting in the outbox was written behind the
    // append path's back.
    const stray = await db.$queryRawUnsafe<Array<{ id: string }>>(
      `SELECT e.id FROM event_log e
        WHERE NOT EXISTS (SELECT 1 FROM event_chain c WHERE c.event_id = e.id)
          AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.position = e.position)
        ORDER BY e.position LIMIT 1`,
    );
    if (stray[0]) {
      failure = {
        sequence: verifier.last.sequence + 1,
        eventId: stray[0].id,
        reason: "inserted_or_reordered",
        message: `event ${stray[0].id} is in the log but was never appended through the chain`,
      };
    }
  }
  if (!failure) return { ok: true, checkedEvents: verifier.checked };
  return {
    ok: false,
    checkedEvents: verifier.checked,
    firstBadSequence: failure.sequence,
    eventId: failure.eventId,
    reason: failure.reason,
    message: failure.message,
  };
}
