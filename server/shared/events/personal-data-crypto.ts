// The cryptography of personal data (docs/decisions/0013), node:crypto only:
// - each subject has a random 256-bit data key; events' personal fields are sealed with it
//   (AES-256-GCM, a fresh 96-bit IV per section, the event id, subject and key id as associated
//   data, so a section copied into another event or onto another subject does not open);
// - the data key is stored wrapped by the master key (AES-256-GCM again, bound to subject and
//   key id); erasure deletes the wrapped key, and nothing else can open the sections;
// - lookup hashes (HMAC-SHA-256 under a key derived from the master key) let a DSAR find a
//   subject by an email address without that address being stored in clear.
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { canonicalJson } from "../canonical-json";
import { invariant } from "../errors";
import {
  derivedSubjectPrefixes,
  type PersonalDataSection,
  personalDataAlgorithm,
  type SubjectType,
} from "./personal-data";

export const masterKeyBytes = 32;
const ivBytes = 12;
const tagBytes = 16;

export type MasterKey = { id: string; key: Buffer; lookupKey: Buffer };

/** The master key with its id (`mk_` + the first 96 bits of its SHA-256) and derived lookup key. */
export function masterKeyFrom(key: Buffer): MasterKey {
  invariant(key.length === masterKeyBytes, `the personal-data master key is ${masterKeyBytes} bytes`);
  return {
    id: `mk_${createHash("sha256").update(key).digest("hex").slice(0, 24)}`,
    key,
    lookupKey: Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), "venture-pii-lookup/1", 32)),
  };
}

export function newSubjectKeyId(): string {
  return `pk_${randomBytes(12).toString("hex")}`;
}

export function newDataKey(): Buffer {
  return randomBytes(32);
}

/** iv ‖ tag ‖ ciphertext of `plaintext` under `key` (AES-256-GCM, a fresh IV), bound to `aad`. */
export function sealBytes(key: Buffer, aad: Buffer, plaintext: Buffer): Buffer {
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

/** The plaintext of sealBytes' output, or null when it does not open under `key` and `aad`. */
export function openBytes(key: Buffer, aad: Buffer, sealed: Buffer): Buffer | null {
  if (sealed.length < ivBytes + tagBytes) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, ivBytes));
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(ivBytes, ivBytes + tagBytes));
    return Buffer.concat([decipher.update(sealed.subarray(ivBytes + tagBytes)), decipher.final()]);
  } catch {
    return null;
  }
}

const wrapContext = (subjectId: string, keyId: string) =>
  Buffer.from(`venture-pii-wrap/1|${subjectId}|${keyId}`);

/** iv ‖ tag ‖ ciphertext of the data key under the master key. */
export function wrapDataKey(master: MasterKey, subjectId: string, keyId: string, dataKey: Buffer): Buffer {
  return sealBytes(master.key, wrapContext(subjectId, keyId), dataKey);
}

/** The data key, or null when the wrapped bytes do not open under this master key. */
export function unwrapDataKey(
  master: MasterKey,
  subjectId: string,
  keyId: string,
  wrapped: Buffer,
): Buffer | null {
  if (wrapped.length !== ivBytes + tagBytes + 32) return null;
  return openBytes(master.key, wrapContext(subjectId, keyId), wrapped);
}

const sectionContext = (eventId: string, subjectId: string, keyId: string) =>
  Buffer.from(`venture-pii/1|${eventId}|${subjectId}|${keyId}`);

export function sealFields(options: {
  dataKey: Buffer;
  eventId: string;
  subjectType: SubjectType;
  subjectId: string;
  keyId: string;
  fields: Record<string, unknown>;
}): PersonalDataSection {
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv("aes-256-gcm", options.dataKey, iv);
  cipher.setAAD(sectionContext(options.eventId, options.subjectId, options.keyId));
  const plaintext = Buffer.from(canonicalJson(options.fields), "utf8");
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    alg: personalDataAlgorithm,
    subjectType: options.subjectType,
    subjectId: options.subjectId,
    keyId: options.keyId,
    fields: Object.keys(options.fields).sort(),
    iv: iv.toString("base64url"),
    tag: cipher.getAuthTag().toString("base64url"),
    ciphertext: ciphertext.toString("base64url"),
  };
}

/** The fields of a section, or null when this key does not open it (wrong key, altered bytes). */
export function openFields(
  dataKey: Buffer,
  eventId: string,
  section: PersonalDataSection,
): Record<string, unknown> | null {
  try {
    const decipher = createDecipheriv("aes-256-gcm", dataKey, Buffer.from(section.iv, "base64url"));
    decipher.setAAD(sectionContext(eventId, section.subjectId, section.keyId));
    decipher.setAuthTag(Buffer.from(section.tag, "base64url"));
    const plaintext = Buffer.concat([
      decipher.update(Buffer.from(section.ciphertext, "base64url")),
      decipher.final(),
    ]);
    return JSON.parse(plaintext.toString("utf8")) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** The normalised form of a value used for lookups: trimmed, lower-case. */
export function normaliseLookupValue(value: string): string {
  return value.trim().toLowerCase();
}

/** HMAC-SHA-256 of "field:value" under the lookup key, hex. */
export function lookupHash(master: MasterKey, field: string, value: string): string {
  return createHmac("sha256", master.lookupKey)
    .update(`${field}:${normaliseLookupValue(value)}`)
    .digest("hex");
}

/**
 * The id of a subject known only by a personal value (a customer's name or email on a payment):
 * a keyed hash of the normalised value within its scope (a portfolio), so the same customer
 * paying twice is one subject with one key, and the id reveals nothing without the master key.
 */
export function derivedSubjectId(
  master: MasterKey,
  subjectType: SubjectType,
  scope: string,
  value: string,
): string {
  const digest = createHmac("sha256", master.lookupKey)
    .update(`subject:${subjectType}:${scope}:${normaliseLookupValue(value)}`)
    .digest("hex");
  return `${derivedSubjectPrefixes[subjectType]}_${digest.slice(0, 32)}`;
}
