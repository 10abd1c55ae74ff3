// Verification of the audit trail (COMPL-002): the hash chain (verifyEventLog, which names the
// first event modified, removed, inserted or reordered), then every signed checkpoint, from the
// database and from each copy outside it: its signature, and that the stored hash at its
// sequence is the one it signed. A database rewritten consistently (chain recomputed) passes the
// first part and fails the second against the outside copies.
import type { Db } from "@/server/shared/db";
import { chainHead } from "@/server/shared/events/store";
import { verifyEventLog } from "@/server/shared/events/verify";
import { type CheckpointSource, checkCheckpoints, databaseSource } from "./checkpoint-checks";
import type { CheckpointCopies } from "./checkpoint-copies";
import { checkpointColumns, toSignedCheckpoint } from "./sign-checkpoint";
import { type AuditPublicKey, loadPublicKeys } from "./signing";
import { listAuditKeys } from "./sync-keyring";

export type AuditTrailResult = {
  ok: boolean;
  checkedEvents: number;
  checkedCheckpoints: number;
  /** Where checkpoints were read from: "database", then each copy outside it. */
  sources: string[];
  firstBadSequence?: number;
  eventId?: string | null;
  checkpointSequence?: number;
  reason?: string;
  message?: string;
};

export type VerifyProgress = { phase: "chain" | "checkpoints"; checked: number; total: number };

export async function verifyAuditTrail(options: {
  db: Db;
  /** Copies outside the database; the web process has none, the compliance worker has both. */
  copies?: CheckpointCopies[];
  /** The public keys of the keyring files, when this process has them: the database's must match. */
  keyringKeys?: AuditPublicKey[];
  onProgress?: (progress: VerifyProgress) => void;
}): Promise<AuditTrailResult> {
  const copies = options.copies ?? [];
  const sources = [databaseSource, ...copies.map((copy) => copy.name)];
  const chain = await verifyEventLog(options.db, {
    onProgress: (checked, total) => options.onProgress?.({ phase: "chain", checked, total }),
  });
  if (!chain.ok) {
    return {
      ok: false,
      checkedEvents: chain.checkedEvents,
      checkedCheckpoints: 0,
      sources,
      firstBadSequence: chain.firstBadSequence,
      eventId: chain.eventId ?? null,
      reason: chain.reason,
      message: chain.message,
    };
  }

  const publishedKeys = await listAuditKeys({ db: options.db });
  const keyProblem = compareWithKeyring(publishedKeys, options.keyringKeys);
  const { byId, problems } = loadPublicKeys(publishedKeys);
  const problem = keyProblem ?? problems[0]?.message;
  if (problem) {
    return {
      ok: false,
      checkedEvents: chain.checkedEvents,
      checkedCheckpoints: 0,
      sources,
      reason: "key",
      message: problem,
    };
  }

  // Checkpoints first, then the head: a checkpoint is only ever signed at or below the head, and
  // the head only grows, so reading in this order never mistakes a new checkpoint for a removal.
  const checkpointSources: CheckpointSource[] = [
    {
      name: databaseSource,
      checkpoints: (
        await options.db.$queryRawUnsafe<Parameters<typeof toSignedCheckpoint>[0][]>(
          `SELECT ${checkpointColumns} FROM audit_checkpoints ORDER BY sequence`,
        )
      ).map(toSignedCheckpoint),
      unreadable: [],
    },
  ];
  for (const copy of copies) checkpointSources.push({ name: copy.name, ...(await copy.readAll()) });
  const head = await chainHead(options.db);
  const sequences = new Set<number>();
  for (const source of checkpointSources) for (const c of source.checkpoints) sequences.add(c.sequence);
  const total = sequences.size;
  options.onProgress?.({ phase: "checkpoints", checked: 0, total });
  const storedHashes = await storedHashesAt(options.db, [...sequences]);
  const { checked, failure } = checkCheckpoints({
    sources: checkpointSources,
    keys: byId,
    headSequence: head.sequence,
    storedHashes,
  });
  options.onProgress?.({ phase: "checkpoints", checked, total });
  if (!failure) {
    return { ok: true, checkedEvents: chain.checkedEvents, checkedCheckpoints: checked, sources };
  }
  return {
    ok: false,
    checkedEvents: chain.checkedEvents,
    checkedCheckpoints: checked,
    sources,
    ...(failure.firstBadSequence === null ? {} : { firstBadSequence: failure.firstBadSequence }),
    ...(failure.checkpointSequence === null ? {} : { checkpointSequence: failure.checkpointSequence }),
    reason: failure.reason,
    message: failure.message,
  };
}

async function storedHashesAt(db: Db, sequences: number[]): Promise<Map<number, string>> {
  const hashes = new Map<number, string>();
  const chunk = 10_000;
  for (let i = 0; i < sequences.length; i += chunk) {
    const rows = await db.$queryRawUnsafe<Array<{ sequence: bigint; hash: string }>>(
      "SELECT sequence, hash FROM events WHERE sequence = ANY($1::bigint[])",
      sequences.slice(i, i + chunk),
    );
    for (const row of rows) hashes.set(Number(row.sequence), row.hash);
  }
  return hashes;
}

function compareWithKeyring(
  published: AuditPublicKey[],
  keyring: AuditPublicKey[] | undefined,
): string | null {
  if (!keyring) return null;
  const inDatabase = new Map(published.map((key) => [key.keyId, key]));
  for (const key of keyring) {
    const stored = inDatabase.get(key.keyId);
    if (stored && stored.publicKeyPem.trim() !== key.publicKeyPem.trim()) {
      return `audit key ${key.keyId} in the database is not the key in the keyring files: it was replaced`;
    }
  }
  return null;
}
