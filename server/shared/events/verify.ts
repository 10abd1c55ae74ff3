// Online verification of the stored log: walks the events in sequence order in pages and names
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
    const rows = await db.$queryRawUnsafe<
      Array<{ sequence: bigint; id: string; envelope: string; prev_hash: string; hash: string }>
    >(
      "SELECT sequence, id, envelope, prev_hash, hash FROM events WHERE sequence > $1 ORDER BY sequence LIMIT $2",
      after,
      pageSize,
    );
    for (const row of rows) {
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
  const failure = verifier.finish(head);
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
