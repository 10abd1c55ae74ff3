// `venture verify <pack> [--key <keyId> | --public-key <file.pem>] [--quiet]`: the offline
// evidence-pack verifier as a command. It imports no database module and reads no environment,
// so an auditor can run it on a laptop with only the archive. Exit 0 when every check passed, 1
// naming the first failure, 2 on a usage error.
import fs from "node:fs";
import { parseArgs } from "node:util";
import { isZip, verifyArtifactBundle } from "@/server/contexts/artifacts/verify-bundle";
import { verifyEvidencePack } from "./verify-evidence-pack";

export const verifyUsage =
  "venture verify <pack.tar.gz | artifact-bundle.zip> [--key <keyId> | --public-key <file.pem>] [--quiet]";

export async function runVerifyCommand(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    console.error(
      `venture verify: ${error instanceof Error ? error.message : String(error)}\nusage: ${verifyUsage}`,
    );
    return 2;
  }
  const { values, positionals } = parsed;
  const packPath = positionals[0];
  if (!packPath || positionals.length > 1) {
    console.error(`usage: ${verifyUsage}`);
    return 2;
  }
  let pinnedPublicKeyPem: string | undefined;
  if (values["public-key"]) {
    try {
      pinnedPublicKeyPem = fs.readFileSync(values["public-key"], "utf8");
    } catch {
      console.error(`venture verify: cannot read the public key file ${values["public-key"]}`);
      return 2;
    }
  }
  if (isArtifactBundle(packPath))
    return verifyBundleCommand(packPath, values.key, pinnedPublicKeyPem, values.quiet);
  const started = performance.now();
  const report = await verifyEvidencePack(packPath, {
    pinnedKeyId: values.key,
    pinnedPublicKeyPem,
    onCheck: values.quiet ? undefined : (line) => console.log(line),
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (report.ok) {
    console.log(
      `OK: evidence pack ${packPath} verified: ${report.events} events, ${report.checkpoints} checkpoints, ` +
        `${report.bytes} bytes in ${seconds} s, peak memory ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
    );
    return 0;
  }
  const failure = report.failure!;
  console.error(
    `FAILED: ${failure.file}${failure.sequence === undefined ? "" : `: event sequence ${failure.sequence}`}: ${failure.reason}: ${failure.message}`,
  );
  return 1;
}

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: { key: { type: "string" }, "public-key": { type: "string" }, quiet: { type: "boolean" } },
    strict: true,
  });
}

/** An artifact bundle (a zip, ADR 0010) rather than an evidence pack (a gzipped tar). */
function isArtifactBundle(file: string): boolean {
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, "r");
    const head = Buffer.alloc(4);
    fs.readSync(fd, head, 0, 4, 0);
    return isZip(head);
  } catch {
    return false;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** Checks an artifact bundle's signed provenance manifest offline: exit 0, or 1 naming the failure. */
function verifyBundleCommand(
  file: string,
  pinnedKeyId: string | undefined,
  pinnedPublicKeyPem: string | undefined,
  quiet?: boolean,
): number {
  const report = verifyArtifactBundle(fs.readFileSync(file), { pinnedKeyId, pinnedPublicKeyPem });
  if (!quiet) for (const line of report.checks) console.log(line);
  if (report.ok) {
    console.log(
      `OK: artifact bundle ${file} verified: ${report.manifest.artifact.kind} "${report.manifest.artifact.title}" v${report.manifest.artifact.version}, build ${report.manifest.buildHash}, signed by ${report.manifest.signer.keyId}`,
    );
    return 0;
  }
  console.error(`FAILED: ${report.file}: ${report.reason}: ${report.message}`);
  return 1;
}
