// `venture verify <pack> [--key <keyId> | --public-key <file.pem>] [--quiet]`: the offline
// evidence-pack verifier as a command. It imports no database module and reads no environment,
// so an auditor can run it on a laptop with only the archive. Exit 0 when every check passed, 1
// naming the first failure, 2 on a usage error.
import fs from "node:fs";
import { parseArgs } from "node:util";
import { verifyEvidencePack } from "./verify-evidence-pack";

export const verifyUsage = "venture verify <pack.tar.gz> [--key <keyId> | --public-key <file.pem>] [--quiet]";

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
