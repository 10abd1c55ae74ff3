// Signs a checkpoint of the chain head when one is due, stores it (append-only table), then
// writes the copies outside the database. The row commits first: a copy that exists without its
// row would be indistinguishable from a row someone deleted, which verification must report.
import { type Clock, systemClock } from "@/server/shared/clock";
import { type Db, withTransaction } from "@/server/shared/db";
import { invariant } from "@/server/shared/errors";
import { chainHead } from "@/server/shared/events/store";
import type { CheckpointCopies } from "./checkpoint-copies";
import { type CheckpointSchedule, checkpointDue } from "./checkpoint-rules";
import type { AuditKeyring } from "./keyring";
import { checkpointBytes, type SignedCheckpoint, signBytes } from "./signing";

/** One signer at a time across processes; the loser simply skips this round. */
const checkpointLockKey = 7_140_300;

export type SignCheckpointResult = {
  checkpoint: SignedCheckpoint | null;
  /** Copies that could not be written; the caller retries them (see retryCopies). */
  failedCopies: Array<{ copy: string; checkpoint: SignedCheckpoint; error: string }>;
};

export async function signCheckpointIfDue(options: {
  db: Db;
  keyring: AuditKeyring;
  copies: CheckpointCopies[];
  schedule: CheckpointSchedule;
  clock?: Clock;
  force?: boolean;
}): Promise<SignCheckpointResult> {
  const now = (options.clock ?? systemClock).now();
  const checkpoint = await withTransaction(options.db, async (tx) => {
    const [lock] = await tx.$queryRawUnsafe<Array<{ ok: boolean }>>(
      "SELECT pg_try_advisory_xact_lock($1) AS ok",
      checkpointLockKey,
    );
    if (!lock?.ok) return null;
    const head = await chainHead(tx);
    const [last] = await tx.$queryRawUnsafe<Array<{ sequence: bigint; signed_at: Date }>>(
      "SELECT sequence, signed_at FROM audit_checkpoints ORDER BY sequence DESC LIMIT 1",
    );
    const due = checkpointDue({
      headSequence: head.sequence,
      last: last ? { sequence: Number(last.sequence), signedAt: last.signed_at } : null,
      now,
      schedule: options.schedule,
      force: options.force,
    });
    if (!due) return null;
    const key = options.keyring.activeKey();
    invariant(key, "the audit keyring has an active key before checkpoints are signed");
    const body = {
      sequence: head.sequence,
      headHash: head.hash,
      signedAt: now.toISOString(),
      keyId: key.keyId,
    };
    const signed: SignedCheckpoint = { ...body, signature: signBytes(key.privateKey, checkpointBytes(body)) };
    await tx.$executeRawUnsafe(
      `INSERT INTO audit_checkpoints (sequence, head_hash, signed_at, key_id, signature)
       VALUES ($1, $2, $3, $4, $5)`,
      signed.sequence,
      signed.headHash,
      now,
      signed.keyId,
      signed.signature,
    );
    return signed;
  });
  if (!checkpoint) return { checkpoint: null, failedCopies: [] };
  return { checkpoint, failedCopies: await writeCopies(options.copies, [checkpoint]) };
}

/**
 * The checkpoint at exactly `sequence`, signing it now when there is none (an evidence pack
 * that must close at its period's last event). The caller has already checked the stored chain
 * up to there against the checkpoints signed with the log.
 */
export async function checkpointAt(options: {
  db: Db;
  keyring: AuditKeyring;
  copies: CheckpointCopies[];
  sequence: number;
  clock?: Clock;
}): Promise<SignCheckpointResult & { signedNow: boolean }> {
  const now = (options.clock ?? systemClock).now();
  const outcome = await withTransaction(options.db, async (tx) => {
    const [existing] = await tx.$queryRawUnsafe<CheckpointRow[]>(
      `SELECT ${checkpointColumns} FROM audit_checkpoints WHERE sequence = $1`,
      options.sequence,
    );
    if (existing) return { checkpoint: toSignedCheckpoint(existing), signedNow: false };
    const [event] = await tx.$queryRawUnsafe<Array<{ hash: string }>>(
      "SELECT hash FROM events WHERE sequence = $1",
      options.sequence,
    );
    invariant(event, `the log has an event at sequence ${options.sequence}`);
    const key = options.keyring.activeKey();
    invariant(key, "the audit keyring has an active key before checkpoints are signed");
    const body = {
      sequence: options.sequence,
      headHash: event.hash,
      signedAt: now.toISOString(),
      keyId: key.keyId,
    };
    const signed: SignedCheckpoint = { ...body, signature: signBytes(key.privateKey, checkpointBytes(body)) };
    const inserted = await tx.$executeRawUnsafe(
      `INSERT INTO audit_checkpoints (sequence, head_hash, signed_at, key_id, signature)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sequence) DO NOTHING`,
      signed.sequence,
      signed.headHash,
      now,
      signed.keyId,
      signed.signature,
    );
    if (inserted === 1) return { checkpoint: signed, signedNow: true };
    // A concurrent signer won the race: use its checkpoint.
    const [raced] = await tx.$queryRawUnsafe<CheckpointRow[]>(
      `SELECT ${checkpointColumns} FROM audit_checkpoints WHERE sequence = $1`,
      options.sequence,
    );
    return { checkpoint: toSignedCheckpoint(raced!), signedNow: false };
  });
  const failedCopies = outcome.signedNow ? await writeCopies(options.copies, [outcome.checkpoint]) : [];
  return { ...outcome, failedCopies };
}

/** Writes checkpoints to every copy; returns what failed instead of throwing. */
export async function writeCopies(
  copies: CheckpointCopies[],
  checkpoints: SignedCheckpoint[],
): Promise<SignCheckpointResult["failedCopies"]> {
  const failed: SignCheckpointResult["failedCopies"] = [];
  for (const checkpoint of checkpoints) {
    for (const copy of copies) {
      try {
        await copy.write(checkpoint);
      } catch (error) {
        failed.push({
          copy: copy.name,
          checkpoint,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }
  return failed;
}

type CheckpointRow = {
  sequence: bigint;
  head_hash: string;
  signed_at: Date;
  key_id: string;
  signature: string;
};

export function toSignedCheckpoint(row: CheckpointRow): SignedCheckpoint {
  return {
    sequence: Number(row.sequence),
    headHash: row.head_hash,
    signedAt: row.signed_at.toISOString(),
    keyId: row.key_id,
    signature: row.signature,
  };
}

export const checkpointColumns = "sequence, head_hash, signed_at, key_id, signature";

/** Checkpoints with sequence in [from, to], oldest first (at most `limit`). */
export async function listCheckpoints(options: {
  db: Db;
  fromSequence?: number;
  toSequence?: number;
  limit?: number;
  newestFirst?: boolean;
}): Promise<SignedCheckpoint[]> {
  const rows = await options.db.$queryRawUnsafe<CheckpointRow[]>(
    `SELECT ${checkpointColumns} FROM audit_checkpoints
      WHERE sequence >= $1 AND sequence <= $2
      ORDER BY sequence ${options.newestFirst ? "DESC" : "ASC"} LIMIT $3`,
    options.fromSequence ?? 0,
    options.toSequence ?? Number.MAX_SAFE_INTEGER,
    options.limit ?? 1_000_000,
  );
  return rows.map(toSignedCheckpoint);
}
