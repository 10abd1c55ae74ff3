// Signatures of the audit trail: key ids, the canonical bytes of a checkpoint, ed25519 signing and
// verification. Pure node:crypto, no database and no environment, because the offline
// evidence-pack verifier (`npx venture verify`) uses exactly this file.
import { createHash, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { z } from "zod";

export const signatureAlgorithm = "ed25519" as const;

/** A public key as published: in the database, at GET /api/v1/audit/keys and in every pack. */
export type AuditPublicKey = {
  keyId: string;
  algorithm: typeof signatureAlgorithm;
  publicKeyPem: string;
  validFrom: string;
  /** null while the key still signs. */
  validTo: string | null;
};

/** "The chain's hash at `sequence` was `headHash`", signed at `signedAt` with key `keyId`. */
export type SignedCheckpoint = {
  sequence: number;
  headHash: string;
  signedAt: string;
  keyId: string;
  /** base64 ed25519 signature over checkpointBytes(). */
  signature: string;
};

const keyIdPattern = /^ak_[0-9a-f]{24}$/;

/**
 * The key id is derived from the public key (ak_ + 96 bits of the SHA-256 of its SPKI DER), so an
 * id names one key: a verifier pinning a key id cannot be handed another key under that name.
 */
export function keyIdOf(publicKey: KeyObject | string): string {
  const key = typeof publicKey === "string" ? createPublicKey(publicKey) : publicKey;
  const der = key.export({ type: "spki", format: "der" });
  return `ak_${createHash("sha256").update(der).digest("hex").slice(0, 24)}`;
}

export function isKeyId(value: string): boolean {
  return keyIdPattern.test(value);
}

/**
 * What a checkpoint signature covers. A fixed text with one field per line: no JSON, so there is
 * nothing to canonicalise and nothing a reader can reorder. Fields cannot contain a newline.
 */
export function checkpointBytes(checkpoint: Omit<SignedCheckpoint, "signature">): Buffer {
  return Buffer.from(
    `venture-checkpoint/1\n${checkpoint.sequence}\n${checkpoint.headHash}\n${checkpoint.signedAt}\n${checkpoint.keyId}`,
    "utf8",
  );
}

export function signBytes(privateKey: KeyObject, bytes: Buffer): string {
  return sign(null, bytes, privateKey).toString("base64");
}

export function verifyBytes(publicKey: KeyObject, bytes: Buffer, signatureBase64: string): boolean {
  const signature = Buffer.from(signatureBase64, "base64");
  // ed25519 signatures are 64 bytes; anything else (bad base64, truncated) cannot be valid.
  if (signature.length !== 64) return false;
  try {
    return verify(null, bytes, publicKey, signature);
  } catch {
    return false;
  }
}

export type KeyProblem = { keyId: string; message: string };

/**
 * Parses published public keys once: each must be an ed25519 key whose id is its fingerprint.
 * Returns the usable keys and the problems, so a verifier can name a bad key precisely.
 */
export function loadPublicKeys(keys: AuditPublicKey[]): {
  byId: Map<string, { key: KeyObject; published: AuditPublicKey }>;
  problems: KeyProblem[];
} {
  const byId = new Map<string, { key: KeyObject; published: AuditPublicKey }>();
  const problems: KeyProblem[] = [];
  for (const published of keys) {
    let key: KeyObject;
    try {
      key = createPublicKey(published.publicKeyPem);
    } catch {
      problems.push({ keyId: published.keyId, message: `key ${published.keyId} is not a valid public key` });
      continue;
    }
    if (key.asymmetricKeyType !== "ed25519") {
      problems.push({ keyId: published.keyId, message: `key ${published.keyId} is not an ed25519 key` });
      continue;
    }
    if (keyIdOf(key) !== published.keyId) {
      problems.push({
        keyId: published.keyId,
        message: `key ${published.keyId} does not match its public key (its fingerprint is ${keyIdOf(key)})`,
      });
      continue;
    }
    byId.set(published.keyId, { key, published });
  }
  return { byId, problems };
}

/**
 * Why a checkpoint's signature is not acceptable, or null when it is: the key must be known, the
 * signature valid, and the checkpoint signed within the key's validity period.
 */
export function checkpointSignatureProblem(
  checkpoint: SignedCheckpoint,
  keys: Map<string, { key: KeyObject; published: AuditPublicKey }>,
): string | null {
  const entry = keys.get(checkpoint.keyId);
  if (!entry) return `checkpoint at sequence ${checkpoint.sequence} names unknown key ${checkpoint.keyId}`;
  const { signature, ...body } = checkpoint;
  if (!verifyBytes(entry.key, checkpointBytes(body), signature)) {
    return `checkpoint at sequence ${checkpoint.sequence} has an invalid signature for key ${checkpoint.keyId}`;
  }
  const signedAt = Date.parse(checkpoint.signedAt);
  const from = Date.parse(entry.published.validFrom);
  const to =
    entry.published.validTo === null ? Number.POSITIVE_INFINITY : Date.parse(entry.published.validTo);
  if (!(signedAt >= from && signedAt <= to)) {
    return `checkpoint at sequence ${checkpoint.sequence} was signed at ${checkpoint.signedAt}, outside the validity of key ${checkpoint.keyId}`;
  }
  return null;
}

export const signedCheckpointSchema = z
  .object({
    sequence: z.number().int().nonnegative(),
    headHash: z.string().regex(/^[0-9a-f]{64}$/),
    signedAt: z.string().min(1),
    keyId: z.string().min(1),
    signature: z.string().min(1),
  })
  .strict();

/** The serialized form everywhere outside the database: one line of JSON, fields in this order. */
export function checkpointJson(checkpoint: SignedCheckpoint): string {
  const { sequence, headHash, signedAt, keyId, signature } = checkpoint;
  return JSON.stringify({ sequence, headHash, signedAt, keyId, signature });
}
