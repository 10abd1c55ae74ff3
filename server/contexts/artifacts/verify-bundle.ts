// Offline verification of an artifact bundle (ARTIF-005), for `npx venture verify <bundle.zip>`:
// no database and no environment, only the zip. Checks, stopping at the first failure:
// the manifest's format; the signer's public key (keys.json) is ed25519 and its id is its
// fingerprint (and, when pinned, the pinned key); the detached signature over manifest.json's exact
// bytes; ir.json is canonical and hashes to the manifest's irHash; every output is in the zip with
// the SHA-256 and size the manifest states, and the zip holds nothing else; the build hash
// recomputes from the manifest.
import { createPublicKey } from "node:crypto";
import { keyIdOf, verifyBytes } from "@/server/contexts/compliance/signing";
import { canonicalJson } from "@/server/shared/canonical-json";
import { sha256Hex } from "./ir";
import { type ArtifactManifest, buildHashOf, bundleMetaFiles, manifestFormat } from "./manifest";
import { readZip } from "./render/zip";

export type BundleReport =
  | { ok: true; manifest: ArtifactManifest; checks: string[] }
  | { ok: false; file: string; reason: string; message: string; checks: string[] };

export function isZip(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32LE(0) === 0x04034b50;
}

export function verifyArtifactBundle(
  bytes: Buffer,
  options: { pinnedKeyId?: string; pinnedPublicKeyPem?: string } = {},
): BundleReport {
  const checks: string[] = [];
  const fail = (file: string, reason: string, message: string): BundleReport => ({
    ok: false,
    file,
    reason,
    message,
    checks,
  });
  let files: Map<string, Buffer>;
  try {
    files = new Map(readZip(bytes).map((e) => [e.name, e.data]));
  } catch (error) {
    return fail("(archive)", "unreadable", error instanceof Error ? error.message : String(error));
  }
  const manifestRaw = files.get("manifest.json");
  if (!manifestRaw) return fail("manifest.json", "missing", "the bundle has no manifest.json");
  let manifest: ArtifactManifest;
  try {
    manifest = JSON.parse(manifestRaw.toString("utf8")) as ArtifactManifest;
  } catch {
    return fail("manifest.json", "malformed", "manifest.json is not JSON");
  }
  if (manifest.format !== manifestFormat) {
    return fail(
      "manifest.json",
      "format",
      `format ${JSON.stringify(manifest.format)} is not ${manifestFormat}`,
    );
  }
  checks.push(
    `manifest: ${manifest.artifact?.kind} "${manifest.artifact?.title}" version ${manifest.artifact?.version}`,
  );

  const keysRaw = files.get("keys.json");
  if (!keysRaw) return fail("keys.json", "missing", "the bundle has no keys.json");
  let keys: Array<{ keyId: string; publicKeyPem: string }>;
  try {
    keys = JSON.parse(keysRaw.toString("utf8"));
  } catch {
    return fail("keys.json", "malformed", "keys.json is not JSON");
  }
  const signerId = manifest.signer?.keyId;
  const published = (Array.isArray(keys) ? keys : []).find((k) => k.keyId === signerId);
  const pem = options.pinnedPublicKeyPem ?? published?.publicKeyPem;
  if (!pem) return fail("keys.json", "unknown_key", `the signer's key ${signerId} is not in keys.json`);
  let key: ReturnType<typeof createPublicKey>;
  try {
    key = createPublicKey(pem);
  } catch {
    return fail("keys.json", "bad_key", `key ${signerId} is not a valid public key`);
  }
  if (key.asymmetricKeyType !== "ed25519")
    return fail("keys.json", "bad_key", `key ${signerId} is not an ed25519 key`);
  if (keyIdOf(key) !== signerId) {
    return fail(
      "keys.json",
      "bad_key",
      `key ${signerId} does not match its public key (its fingerprint is ${keyIdOf(key)})`,
    );
  }
  if (options.pinnedKeyId && options.pinnedKeyId !== signerId) {
    return fail(
      "manifest.json",
      "unpinned_key",
      `signed with ${signerId}, not the pinned key ${options.pinnedKeyId}`,
    );
  }
  const signature = files.get("manifest.sig")?.toString("utf8").trim();
  if (!signature) return fail("manifest.sig", "missing", "the bundle has no manifest.sig");
  if (!verifyBytes(key, manifestRaw, signature)) {
    return fail(
      "manifest.sig",
      "bad_signature",
      `the signature does not match manifest.json for key ${signerId}`,
    );
  }
  checks.push(`signature: ed25519 by ${signerId}`);

  const ir = files.get("ir.json");
  if (!ir) return fail("ir.json", "missing", "the bundle has no ir.json");
  let irText: string;
  try {
    irText = canonicalJson(JSON.parse(ir.toString("utf8")));
  } catch {
    return fail("ir.json", "malformed", "ir.json is not JSON");
  }
  if (irText !== ir.toString("utf8") || sha256Hex(ir) !== manifest.irHash) {
    return fail(
      "ir.json",
      "hash_mismatch",
      `ir.json does not hash to the manifest's irHash ${manifest.irHash}`,
    );
  }
  checks.push(`ir: ${manifest.irHash}`);

  const listed = new Set<string>(bundleMetaFiles);
  for (const output of manifest.outputs ?? []) {
    listed.add(output.name);
    const data = files.get(output.name);
    if (!data)
      return fail(output.name, "missing", `${output.name} is listed in the manifest but not in the bundle`);
    if (data.length !== output.bytes || sha256Hex(data) !== output.sha256) {
      return fail(
        output.name,
        "hash_mismatch",
        `${output.name} does not match its SHA-256 ${output.sha256} and size ${output.bytes}`,
      );
    }
  }
  checks.push(`outputs: ${manifest.outputs.length} files match their hashes`);
  for (const name of files.keys()) {
    if (!listed.has(name)) return fail(name, "unlisted", `${name} is in the bundle but not in the manifest`);
  }
  const recomputed = buildHashOf(manifest.irHash, manifest.nodes ?? [], manifest.outputs ?? []);
  if (recomputed !== manifest.buildHash) {
    return fail(
      "manifest.json",
      "build_hash",
      `the build hash recomputes to ${recomputed}, not ${manifest.buildHash}`,
    );
  }
  checks.push(`build hash: ${manifest.buildHash} (${manifest.nodes.length} nodes)`);
  return { ok: true, manifest, checks };
}
