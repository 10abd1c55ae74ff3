// Signs provenance manifests with the audit key (ADR 0008's keyring, ed25519): the artifact compiler
// opens the keyring, makes sure its active key is published (audit_keys), and signs with whichever
// key is active at the time of each build, so a rotation takes effect at the next build.
import { type AuditKeyring, signBytes, syncKeyring } from "@/server/contexts/compliance/api";
import type { Db } from "@/server/shared/db";
import type { ManifestSigner } from "./run-build";

export async function keyringSigner(db: Db, keyring: AuditKeyring): Promise<() => ManifestSigner> {
  await syncKeyring({ db, keyring, correlationId: "cor_artifact_keyring" });
  return () => {
    const { key } = keyring.ensureActiveKey(new Date());
    return {
      keyId: key.keyId,
      publicKey: key.published,
      sign: (bytes: Buffer) => signBytes(key.privateKey, bytes),
    };
  };
}
