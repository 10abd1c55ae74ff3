// The provenance manifest (ARTIF-005) and the build hash (ARTIF-002). The manifest names the IR
// hash, every node's provider, model, prompt and request/response hashes, and every output's
// SHA-256; it is canonical JSON with nothing that changes between builds of the same thing (no
// times, no build ids), so a rebuild or a replay gives the same bytes. It is signed with the audit
// key (ed25519, deterministic) as a detached signature over its exact bytes. Pure node:crypto and
// canonical JSON, so the offline verifier (`npx venture verify`) uses this file as it is.
import { canonicalJson } from "@/server/shared/canonical-json";
import { sha256Hex } from "./ir";

export const manifestFormat = "venture-artifact-manifest/1";
export const buildHashFormat = "venture-artifact-build/1";

export type ManifestNode = {
  id: string;
  modality: string;
  provider: string;
  model: string;
  prompt: string;
  requestHash: string;
  responseHash: string;
};

export type ManifestOutput = { name: string; contentType: string; bytes: number; sha256: string };

export type ArtifactManifest = {
  format: typeof manifestFormat;
  artifact: { id: string; kind: string; title: string; slug: string; version: number };
  irHash: string;
  buildHash: string;
  claimKinds: string[];
  nodes: ManifestNode[];
  outputs: ManifestOutput[];
  signer: { keyId: string; algorithm: "ed25519" };
};

/** The build hash: the IR, who answered each node with what, and every output, by hash. */
export function buildHashOf(irHash: string, nodes: ManifestNode[], outputs: ManifestOutput[]): string {
  return sha256Hex(
    canonicalJson({
      format: buildHashFormat,
      irHash,
      nodes: nodes.map(({ id, modality, provider, model, requestHash, responseHash }) => ({
        id,
        modality,
        provider,
        model,
        requestHash,
        responseHash,
      })),
      outputs: outputs.map(({ name, sha256 }) => ({ name, sha256 })),
    }),
  );
}

export function manifestBytes(manifest: ArtifactManifest): Buffer {
  return Buffer.from(`${canonicalJson(manifest)}\n`, "utf8");
}

/** Files of a bundle besides the outputs the manifest lists. */
export const bundleMetaFiles = ["ir.json", "keys.json", "manifest.json", "manifest.sig"] as const;
