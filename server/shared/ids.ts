// Prefixed, time-sortable ids from one file: 48 bits of milliseconds then 80 random bits,
// Crockford base32 (26 characters), e.g. ven_01JDX3…
import { randomFillSync } from "node:crypto";

export const idPrefixes = {
  event: "evt",
  portfolio: "pf",
  venture: "ven",
  user: "usr",
  apiToken: "tok",
  correlation: "cor",
  workerInstance: "wrk",
  evidencePack: "evp",
  finding: "fnd",
  verification: "vrf",
  workstream: "ws",
  task: "tsk",
  taskRun: "run",
  modelCall: "mc",
  toolCall: "tc",
  toolApproval: "apr",
  memory: "mem",
  workloadToken: "wlt",
  dataExport: "dsx",
  receipt: "rcp",
  reconciliation: "rec",
  notification: "ntf",
  webhookEndpoint: "whk",
  webhookDelivery: "whd",
  artifact: "art",
  artifactBuild: "abd",
  artifactCall: "apc",
  scaleUpRun: "sur",
} as const;

export type IdKind = keyof typeof idPrefixes;

const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function encodeBase32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

// Random bytes drawn from the CSPRNG 4 KiB at a time, each byte handed out once: one call per ~400
// ids instead of one per id (ids are minted several times per command on the hot paths).
const entropy = new Uint8Array(4096);
let entropyUsed = entropy.length;

function randomInto(target: Uint8Array, offset: number, length: number): void {
  if (entropyUsed + length > entropy.length) {
    randomFillSync(entropy);
    entropyUsed = 0;
  }
  target.set(entropy.subarray(entropyUsed, entropyUsed + length), offset);
  entropyUsed += length;
}

export function newId(kind: IdKind, nowMs: number = Date.now()): string {
  const bytes = new Uint8Array(16);
  let time = nowMs;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = time % 256;
    time = Math.floor(time / 256);
  }
  randomInto(bytes, 6, 10);
  return `${idPrefixes[kind]}_${encodeBase32(bytes)}`;
}

export function idPattern(kind: IdKind): RegExp {
  return new RegExp(`^${idPrefixes[kind]}_[0-9A-HJKMNP-TV-Z]{26}$`);
}
