// Publishes the keyring's public keys in the database (audit_keys) with a
// compliance.signing_key_added event each, and rotates the signing key. A key already published
// must match the file exactly: a different public key under the same id means one of the two
// copies was replaced, and signing stops.
import { type Clock, systemClock } from "@/server/shared/clock";
import { type Db, withTransaction } from "@/server/shared/db";
import { invariant } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents, type CommandContext } from "@/server/shared/events/store";
import type { AuditKeyring } from "./keyring";
import type { AuditPublicKey } from "./signing";

const workerActor: EventActor = { type: "worker", id: "compliance" };

/** Makes sure the keyring has an active key and that every key of it is published. */
export async function syncKeyring(options: {
  db: Db;
  keyring: AuditKeyring;
  clock?: Clock;
  correlationId?: string;
}): Promise<{ activeKeyId: string; published: string[] }> {
  const now = (options.clock ?? systemClock).now();
  const { key } = options.keyring.ensureActiveKey(now);
  const published: string[] = [];
  const keys = options.keyring.publicKeys();
  for (const [index, publicKey] of keys.entries()) {
    const replaces = index > 0 ? keys[index - 1]!.keyId : null;
    const ctx = {
      actor: workerActor,
      correlationId: options.correlationId ?? "cor_audit_keyring",
      clock: options.clock,
    };
    if (await publishKey(options.db, publicKey, replaces, ctx)) {
      published.push(publicKey.keyId);
    }
  }
  return { activeKeyId: key.keyId, published };
}

/** Rotates the signing key: the old one stops signing now, a new one is published. */
export async function rotateAuditKey(options: {
  db: Db;
  keyring: AuditKeyring;
  clock?: Clock;
  correlationId?: string;
}): Promise<{ retiredKeyId: string | null; keyId: string }> {
  const now = (options.clock ?? systemClock).now();
  const { retiredKeyId, key } = options.keyring.rotate(now);
  await syncKeyring(options);
  return { retiredKeyId, keyId: key.keyId };
}

/** True when the key was new to the database. */
async function publishKey(
  db: Db,
  key: AuditPublicKey,
  replacesKeyId: string | null,
  ctx: CommandContext,
): Promise<boolean> {
  return withTransaction(db, async (tx) => {
    const rows = await tx.$queryRawUnsafe<Array<{ public_key_pem: string; valid_to: Date | null }>>(
      "SELECT public_key_pem, valid_to FROM audit_keys WHERE key_id = $1 FOR UPDATE",
      key.keyId,
    );
    const existing = rows[0];
    if (existing) {
      invariant(
        existing.public_key_pem.trim() === key.publicKeyPem.trim(),
        `audit key ${key.keyId} in the database is the key in the keyring file`,
      );
      if (existing.valid_to === null && key.validTo !== null) {
        await tx.$executeRawUnsafe(
          "UPDATE audit_keys SET valid_to = $2 WHERE key_id = $1",
          key.keyId,
          new Date(key.validTo),
        );
      }
      return false;
    }
    await tx.$executeRawUnsafe(
      `INSERT INTO audit_keys (key_id, algorithm, public_key_pem, valid_from, valid_to)
       VALUES ($1, $2, $3, $4, $5)`,
      key.keyId,
      key.algorithm,
      key.publicKeyPem,
      new Date(key.validFrom),
      key.validTo === null ? null : new Date(key.validTo),
    );
    await appendEvents(tx, ctx, [
      {
        type: "compliance.signing_key_added",
        stream: { type: "audit_key", id: key.keyId },
        expectedVersion: 0,
        portfolioId: null,
        payload: {
          keyId: key.keyId,
          algorithm: key.algorithm,
          publicKeyPem: key.publicKeyPem,
          validFrom: key.validFrom,
          replacesKeyId,
        },
      },
    ]);
    return true;
  });
}

/** Every published public key, oldest first (GET /api/v1/audit/keys, packs, verification). */
export async function listAuditKeys(options: { db: Db }): Promise<AuditPublicKey[]> {
  const rows = await options.db.$queryRawUnsafe<
    Array<{
      key_id: string;
      algorithm: string;
      public_key_pem: string;
      valid_from: Date;
      valid_to: Date | null;
    }>
  >(
    "SELECT key_id, algorithm, public_key_pem, valid_from, valid_to FROM audit_keys ORDER BY valid_from, key_id",
  );
  return rows.map((row) => ({
    keyId: row.key_id,
    algorithm: "ed25519",
    publicKeyPem: row.public_key_pem,
    validFrom: row.valid_from.toISOString(),
    validTo: row.valid_to?.toISOString() ?? null,
  }));
}
