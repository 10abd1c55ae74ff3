// The audit keyring on disk: ed25519 private keys in files under AUDIT_SIGNING_KEY_PATH (mode
// 0600, directory 0700), and keyring.json listing every key with its validity period. Only the
// process that signs (the orchestrator) opens it; the public halves are published in the
// database by sync-keyring.ts. Mutations take a lock file, so two processes starting at once
// create one key, not two.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { invariant } from "@/server/shared/errors";
import { type AuditPublicKey, keyIdOf, signatureAlgorithm } from "./signing";

type IndexFile = { version: 1; keys: AuditPublicKey[] };

export type ActiveKey = { keyId: string; privateKey: KeyObject; published: AuditPublicKey };

const indexName = "keyring.json";
const lockName = "keyring.lock";
/** A lock older than this was left by a crashed process. */
const staleLockMs = 30_000;
const lockWaitMs = 10_000;

export class AuditKeyring {
  private constructor(
    readonly dir: string,
    private index: IndexFile,
  ) {}

  /** Opens the keyring in dir (created with mode 0700 if missing). Creates no key. */
  static open(dir: string): AuditKeyring {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    return new AuditKeyring(path.resolve(dir), readIndex(dir));
  }

  publicKeys(): AuditPublicKey[] {
    return this.index.keys.map((key) => ({ ...key }));
  }

  /** The key that signs now: the newest one not rotated out, or null when there is none yet. */
  activeKey(): ActiveKey | null {
    const published = this.index.keys.filter((key) => key.validTo === null).at(-1);
    if (!published) return null;
    return { keyId: published.keyId, privateKey: this.privateKey(published.keyId), published };
  }

  /** The active key, creating the first one on first use. */
  ensureActiveKey(now: Date): { key: ActiveKey; created: boolean } {
    const existing = this.activeKey();
    if (existing) return { key: existing, created: false };
    return this.withLock(() => {
      this.index = readIndex(this.dir);
      const raced = this.activeKey();
      if (raced) return { key: raced, created: false };
      return { key: this.addKey(now), created: true };
    });
  }

  /** Retires the active key (its validity ends now) and makes a new one; returns both ids. */
  rotate(now: Date): { retiredKeyId: string | null; key: ActiveKey } {
    return this.withLock(() => {
      this.index = readIndex(this.dir);
      const current = this.index.keys.find((key) => key.validTo === null) ?? null;
      const stamp = now.toISOString();
      for (const key of this.index.keys) if (key.validTo === null) key.validTo = stamp;
      const key = this.addKey(now);
      return { retiredKeyId: current?.keyId ?? null, key };
    });
  }

  private addKey(now: Date): ActiveKey {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const keyId = keyIdOf(publicKey);
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    // 'wx': never overwrite a private key; 0600: readable by the owning user only.
    fs.writeFileSync(path.join(this.dir, `${keyId}.key.pem`), pem, { mode: 0o600, flag: "wx" });
    const published: AuditPublicKey = {
      keyId,
      algorithm: signatureAlgorithm,
      publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
      validFrom: now.toISOString(),
      validTo: null,
    };
    this.index.keys.push(published);
    writeIndex(this.dir, this.index);
    return { keyId, privateKey, published };
  }

  private privateKey(keyId: string): KeyObject {
    const file = path.join(this.dir, `${keyId}.key.pem`);
    const privateKey = createPrivateKey(fs.readFileSync(file));
    // A private key whose public half is not the published one would sign unverifiable checkpoints.
    invariant(
      keyIdOf(createPublicKey(privateKey)) === keyId,
      `private key file ${file} belongs to key ${keyId}`,
    );
    return privateKey;
  }

  private withLock<T>(fn: () => T): T {
    const lock = path.join(this.dir, lockName);
    const deadline = Date.now() + lockWaitMs;
    for (;;) {
      try {
        fs.writeFileSync(lock, String(process.pid), { flag: "wx", mode: 0o600 });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        if (age > staleLockMs) fs.rmSync(lock, { force: true });
        else if (Date.now() > deadline) throw new Error(`the audit keyring in ${this.dir} stayed locked`);
        else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      }
    }
    try {
      return fn();
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }
}

function readIndex(dir: string): IndexFile {
  const file = path.join(dir, indexName);
  if (!fs.existsSync(file)) return { version: 1, keys: [] };
  const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as IndexFile;
  invariant(parsed.version === 1 && Array.isArray(parsed.keys), `${file} is a version 1 keyring index`);
  return parsed;
}

function writeIndex(dir: string, index: IndexFile): void {
  // Write then rename, so a reader never sees half a file.
  const file = path.join(dir, indexName);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(index, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
}
