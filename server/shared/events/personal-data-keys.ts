// The personal-data master key of this process (docs/decisions/0013): PII_MASTER_KEY from the
// parsed environment, or else a key file beside the audit signing keys, made once on first use
// (one host: the web and the workers share the folder). Several hosts must set PII_MASTER_KEY.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { type Env, loadEnv } from "../env";
import { type MasterKey, masterKeyBytes, masterKeyFrom } from "./personal-data-crypto";

const globalForKeys = globalThis as unknown as { ventureMasterKey?: MasterKey };

/** The master key, resolved from the environment once per process. */
export function personalDataMasterKey(): MasterKey {
  globalForKeys.ventureMasterKey ??= resolveMasterKey(loadEnv());
  return globalForKeys.ventureMasterKey;
}

/** Sets this process's master key (a process that was handed its config, or a test). */
export function usePersonalDataMasterKey(key: Buffer): MasterKey {
  globalForKeys.ventureMasterKey = masterKeyFrom(key);
  return globalForKeys.ventureMasterKey;
}

export function masterKeyFile(env: Pick<Env, "AUDIT_SIGNING_KEY_PATH">): string {
  return path.join(path.dirname(path.resolve(env.AUDIT_SIGNING_KEY_PATH)), "personal-data", "master.key");
}

export function resolveMasterKey(env: Pick<Env, "PII_MASTER_KEY" | "AUDIT_SIGNING_KEY_PATH">): MasterKey {
  if (env.PII_MASTER_KEY) return masterKeyFrom(Buffer.from(env.PII_MASTER_KEY, "base64"));
  const file = masterKeyFile(env);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // Written whole to a private file, then linked into place: link fails when another process
    // made the key first, and then everyone reads that one.
    const partial = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
    fs.writeFileSync(partial, `${randomBytes(masterKeyBytes).toString("base64url")}\n`, { mode: 0o600 });
    try {
      fs.linkSync(partial, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      fs.rmSync(partial, { force: true });
    }
  }
  const key = Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64url");
  if (key.length !== masterKeyBytes) {
    throw new Error(`${file} does not hold a ${masterKeyBytes}-byte personal-data master key`);
  }
  return masterKeyFrom(key);
}
