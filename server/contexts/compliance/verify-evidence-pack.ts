// The offline evidence-pack verifier (`npx venture verify <pack>`). No database, no environment:
// it streams the archive once, front to back, holding only the previous event's hash, the
// checkpoints and per-account ledger sums, so memory stays bounded for any number of events.
// It stops at the first failure and names it: the file, the event sequence where there is one,
// and the reason.
import { createHash } from "node:crypto";
import fs from "node:fs";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { ChainVerifier, chainHash } from "@/server/shared/events/chain";
import {
  eventLineSchema,
  keysFileSchema,
  manifestSchema,
  manifestSignatureSchema,
  type PackManifest,
  packFiles,
  personalDataLineSchema,
  policyVersionLineSchema,
  postingLineSchema,
  statementLineSchema,
  trialBalanceSchema,
} from "./pack-format";
import {
  type AuditPublicKey,
  checkpointSignatureProblem,
  keyIdOf,
  loadPublicKeys,
  type SignedCheckpoint,
  signedCheckpointSchema,
  verifyBytes,
} from "./signing";

export type PackFailure = {
  /** The file inside the pack (or the pack itself) where verification stopped. */
  file: string;
  /** The event sequence concerned, when there is one. */
  sequence?: number;
  reason: string;
  message: string;
};

export type PackReport = {
  ok: boolean;
  /** What was checked, one line each, in order. */
  checks: string[];
  failure: PackFailure | null;
  events: number;
  checkpoints: number;
  bytes: number;
};

export type VerifyPackOptions = {
  /** Refuse a pack whose manifest was not signed by this key id. */
  pinnedKeyId?: string;
  /** Or by this public key (PEM), which pins its key id too. */
  pinnedPublicKeyPem?: string;
  onCheck?: (line: string) => void;
};

/** Raised inside the walk; turned into the report's failure. */
class PackError extends Error {
  constructor(readonly failure: PackFailure) {
    super(failure.message);
  }
}

function fail(file: string, reason: string, message: string, sequence?: number): never {
  throw new PackError({ file, reason, message, ...(sequence === undefined ? {} : { sequence }) });
}

/** Largest JSON file read whole (manifest, keys, trial balance); everything else streams. */
const maxWholeFileBytes = 64 * 1024 * 1024;
/** Approval lines remembered to cross-check against events.jsonl; beyond this they are only self-checked. */
const maxRememberedApprovals = 200_000;
/** Subject keys remembered to cross-check personal-data.jsonl against events.jsonl. */
const maxRememberedSubjectKeys = 200_000;

type LedgerSums = {
  debits: bigint;
  credits: bigint;
  opening: bigint;
  periodDebits: bigint;
  periodCredits: bigint;
  postings: number;
};

export async function verifyEvidencePack(
  packPath: string,
  options: VerifyPackOptions = {},
): Promise<PackReport> {
  const checks: string[] = [];
  const note = (line: string) => {
    checks.push(line);
    options.onCheck?.(line);
  };
  const state = new PackState(options, note);
  let bytes = 0;
  try {
    if (!fs.existsSync(packPath)) fail(packPath, "missing", `${packPath} does not exist`);
    const head = Buffer.alloc(2);
    const fd = fs.openSync(packPath, "r");
    fs.readSync(fd, head, 0, 2, 0);
    fs.closeSync(fd);
    const gzipped = head[0] === 0x1f && head[1] === 0x8b;
    const source = fs.createReadStream(packPath, { highWaterMark: 1 << 20 });
    source.on("data", (chunk) => {
      bytes += chunk.length;
    });
    const extract = tar.extract();
    const unreadable = (error: unknown) =>
      new PackError({
        file: packPath,
        reason: "unreadable",
        message: `${packPath} is not a readable ${gzipped ? "gzipped " : ""}tar archive: ${error instanceof Error ? error.message : String(error)}`,
      });
    const feeding = gzipped
      ? pipeline(source, createGunzip({ chunkSize: 1 << 20 }), extract)
      : pipeline(source, extract);
    // Handled at once (awaited below): a corrupt archive may fail the feed before the walk ends.
    feeding.catch(() => {});
    try {
      for await (const entry of extract) {
        // streamx types its chunks as unknown; tar entries carry Buffers.
        await state.entry(entry.header.name, entry.header.type ?? "file", entry as AsyncIterable<Buffer>);
      }
      await feeding;
    } catch (error) {
      source.destroy();
      await feeding.catch(() => {});
      // A failure found in the content is the report; anything else is the archive itself breaking.
      throw error instanceof PackError ? error : unreadable(error);
    }
    state.finish();
    return {
      ok: true,
      checks,
      failure: null,
      events: state.eventCount,
      checkpoints: state.checkpoints.size,
      bytes,
    };
  } catch (error) {
    if (error instanceof PackError) {
      return {
        ok: false,
        checks,
        failure: error.failure,
        events: state.eventCount,
        checkpoints: state.checkpoints.size,
        bytes,
      };
    }
    throw error;
  }
}

class PackState {
  manifest: PackManifest | null = null;
  manifestBytes: Buffer | null = null;
  signature: { keyId: string; signature: string } | null = null;
  keys: ReturnType<typeof loadPublicKeys>["byId"] | null = null;
  expected = new Map<string, { sha256: string; bytes: number }>();
  seen = new Set<string>();
  checkpoints = new Map<number, SignedCheckpoint>();
  approvals = new Map<number, string>();
  approvalsChecked = 0;
  eventCount = 0;
  /** Sealed personal-data sections in events.jsonl, by "subjectId|keyId". */
  sealedSections = new Map<string, number>();
  /** compliance.subject_erased events in events.jsonl, by "subjectId|keyId". */
  erasures = new Map<string, number>();
  personalDataOverflow = false;
  personalDataListed = new Set<string>();
  personalDataErased = 0;
  chain: ChainVerifier | null = null;
  ledger = new Map<string, LedgerSums>();
  accounts = new Map<string, { currency: string }>();
  postings = 0;
  trialBalance: ReturnType<typeof trialBalanceSchema.parse> | null = null;
  statements: Array<ReturnType<typeof statementLineSchema.parse>> = [];
  private entryIndex = 0;
  private currentEntry: { id: string; sums: Map<string, bigint> } | null = null;

  constructor(
    private readonly options: VerifyPackOptions,
    private readonly note: (line: string) => void,
  ) {}

  async entry(name: string, type: string, stream: AsyncIterable<Buffer>): Promise<void> {
    const index = this.entryIndex++;
    if (type !== "file") fail(name, "layout", `${name} is a ${type}, not a file`);
    if (this.seen.has(name)) fail(name, "layout", `${name} appears twice in the archive`);
    this.seen.add(name);
    const wanted = [packFiles.manifest, packFiles.signature, packFiles.keys][index];
    if (wanted && name !== wanted)
      fail(name, "layout", `entry ${index + 1} of the archive must be ${wanted}, found ${name}`);
    if (index >= 3 && !this.expected.has(name))
      fail(name, "unexpected_file", `${name} is not listed in the manifest`);
    if (name === packFiles.events && !this.seen.has(packFiles.checkpoints)) {
      fail(name, "layout", `${packFiles.checkpoints} must come before ${packFiles.events}`);
    }

    const hash = createHash("sha256");
    let size = 0;
    const lines = name.endsWith(".jsonl") ? this.lineHandler(name) : null;
    const whole: Buffer[] = [];
    const splitter = lines ? new LineSplitter(lines) : null;
    for await (const chunk of stream) {
      hash.update(chunk);
      size += chunk.length;
      if (splitter) splitter.push(chunk);
      else if (name !== packFiles.readme) {
        if (size > maxWholeFileBytes)
          fail(name, "too_large", `${name} is larger than ${maxWholeFileBytes} bytes`);
        whole.push(chunk);
      }
    }
    splitter?.end();
    const digest = hash.digest("hex");
    const body = Buffer.concat(whole);

    if (name === packFiles.manifest) return this.readManifest(body);
    if (name === packFiles.signature) {
      const parsed = manifestSignatureSchema.safeParse(parseJson(name, body));
      if (!parsed.success) fail(name, "malformed", `${name} is not a manifest signature`);
      this.signature = parsed.data;
      return;
    }
    const expected = this.expected.get(name)!;
    if (expected.sha256 !== digest || expected.bytes !== size) {
      fail(
        name,
        "hash_mismatch",
        `${name} does not match the manifest: SHA-256 ${digest.slice(0, 16)}… (${size} bytes), the manifest says ${expected.sha256.slice(0, 16)}… (${expected.bytes} bytes)`,
      );
    }
    if (name === packFiles.keys) return this.readKeys(body);
    if (name === packFiles.checkpoints) {
      this.note(
        `✓ ${name}: ${this.checkpoints.size} checkpoints, every signature valid and within its key's validity`,
      );
    } else if (name === packFiles.approvals) {
      this.note(`✓ ${name}: ${this.approvalsChecked} approval events, each hashing to its stored hash`);
    } else if (name === packFiles.events) {
      this.finishEvents();
    } else if (name === packFiles.personalData) {
      this.finishPersonalData();
    } else if (name === packFiles.trialBalance) {
      const parsed = trialBalanceSchema.safeParse(parseJson(name, body));
      if (!parsed.success)
        fail(name, "malformed", `${name} is not a trial balance: ${parsed.error.issues[0]?.message}`);
      this.trialBalance = parsed.data;
    } else if (name === packFiles.policyVersions) {
      this.note(`✓ ${name}: every version's text hashes to its version hash`);
    } else {
      this.note(`✓ ${name}: SHA-256 matches the manifest`);
    }
  }

  private readManifest(body: Buffer): void {
    const parsed = manifestSchema.safeParse(parseJson(packFiles.manifest, body));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      fail(
        packFiles.manifest,
        "malformed",
        `${packFiles.manifest} is not a valid manifest: ${issue?.path.join(".")}: ${issue?.message}`,
      );
    }
    this.manifest = parsed.data;
    this.manifestBytes = body;
    for (const file of parsed.data.files)
      this.expected.set(file.path, { sha256: file.sha256, bytes: file.bytes });
    if (
      !this.expected.has(packFiles.keys) ||
      !this.expected.has(packFiles.events) ||
      !this.expected.has(packFiles.checkpoints)
    ) {
      fail(
        packFiles.manifest,
        "malformed",
        "the manifest must list keys.json, checkpoints.jsonl and events.jsonl",
      );
    }
    const { period, chain } = parsed.data;
    this.chain = new ChainVerifier({ sequence: chain.anchor.sequence, hash: chain.anchor.hash });
    this.note(
      `✓ ${packFiles.manifest}: ${parsed.data.format}, pack ${parsed.data.packId}, period ${period.from} → ${period.to}, ` +
        `${parsed.data.files.length} files, events ${chain.anchor.sequence + 1}…${chain.lastSequence}`,
    );
  }

  private readKeys(body: Buffer): void {
    const parsed = keysFileSchema.safeParse(parseJson(packFiles.keys, body));
    if (!parsed.success) fail(packFiles.keys, "malformed", `${packFiles.keys} is not a key list`);
    const { byId, problems } = loadPublicKeys(parsed.data.keys as AuditPublicKey[]);
    if (problems[0]) fail(packFiles.keys, "bad_key", problems[0].message);
    this.keys = byId;
    const manifest = this.manifest!;
    const signature = this.signature;
    if (!signature) fail(packFiles.signature, "missing", "the manifest signature is missing");
    if (signature.keyId !== manifest.signingKeyId) {
      fail(
        packFiles.signature,
        "bad_signature",
        `the signature names key ${signature.keyId} but the manifest says ${manifest.signingKeyId}`,
      );
    }
    const pinned = this.options.pinnedPublicKeyPem
      ? keyIdOf(this.options.pinnedPublicKeyPem)
      : this.options.pinnedKeyId;
    if (pinned && signature.keyId !== pinned) {
      fail(
        packFiles.signature,
        "unpinned_key",
        `the manifest is signed by ${signature.keyId}, not by the pinned key ${pinned}`,
      );
    }
    const key = byId.get(signature.keyId);
    if (!key)
      fail(
        packFiles.signature,
        "bad_signature",
        `the manifest is signed by ${signature.keyId}, which is not in ${packFiles.keys}`,
      );
    if (!verifyBytes(key.key, this.manifestBytes!, signature.signature)) {
      fail(
        packFiles.signature,
        "bad_signature",
        `the manifest signature does not verify with key ${signature.keyId}`,
      );
    }
    this.note(`✓ ${packFiles.keys}: ${byId.size} public key(s), each id the fingerprint of its key`);
    this.note(
      `✓ ${packFiles.signature}: manifest signed by ${signature.keyId} (ed25519)${pinned ? ", the pinned key" : ""}`,
    );
  }

  private lineHandler(name: string): (line: string, lineNumber: number) => void {
    switch (name) {
      case packFiles.checkpoints:
        return (line) => this.checkpointLine(line);
      case packFiles.approvals:
        return (line, n) => this.approvalLine(line, n);
      case packFiles.events:
        return (line, n) => this.eventLine(line, n);
      case packFiles.personalData:
        return (line, n) => this.personalDataLine(line, n);
      case packFiles.policyVersions:
        return (line, n) => {
          const parsed = policyVersionLineSchema.safeParse(parseJson(name, line, n));
          if (!parsed.success) fail(name, "malformed", `line ${n} of ${name} is not a policy version`);
          const hash = createHash("sha256").update(parsed.data.text, "utf8").digest("hex");
          if (hash !== parsed.data.versionHash) {
            fail(
              name,
              "hash_mismatch",
              `policy version ${parsed.data.portfolioId}/${parsed.data.scope}#${parsed.data.number}: its text does not hash to its version hash`,
            );
          }
        };
      case packFiles.ledgerAccounts:
        return (line, n) => {
          const account = parseJson(name, line, n) as { accountId?: unknown; currency?: unknown };
          if (typeof account.accountId !== "string" || typeof account.currency !== "string") {
            fail(name, "malformed", `line ${n} of ${name} is not an account`);
          }
          this.accounts.set(account.accountId, { currency: account.currency });
        };
      case packFiles.ledgerPostings:
        return (line, n) => this.postingLine(line, n);
      case packFiles.statements:
        return (line, n) => {
          const parsed = statementLineSchema.safeParse(parseJson(name, line, n));
          if (!parsed.success) fail(name, "malformed", `line ${n} of ${name} is not a statement`);
          this.statements.push(parsed.data);
        };
      default:
        return (line, n) => {
          parseJson(name, line, n);
        };
    }
  }

  private checkpointLine(line: string): void {
    const name = packFiles.checkpoints;
    const parsed = signedCheckpointSchema.safeParse(parseJson(name, line));
    if (!parsed.success) fail(name, "malformed", `${name} holds a line that is not a checkpoint`);
    const checkpoint = parsed.data;
    const problem = checkpointSignatureProblem(checkpoint, this.keys!);
    if (problem) fail(name, "bad_checkpoint_signature", problem, checkpoint.sequence);
    const { anchor, lastSequence } = this.manifest!.chain;
    if (checkpoint.sequence < anchor.sequence || checkpoint.sequence > lastSequence) {
      fail(
        name,
        "out_of_range",
        `checkpoint at sequence ${checkpoint.sequence} is outside the pack's events`,
        checkpoint.sequence,
      );
    }
    if (checkpoint.sequence === anchor.sequence && checkpoint.headHash !== anchor.hash) {
      fail(
        name,
        "checkpoint_mismatch",
        `the checkpoint at the anchor (sequence ${anchor.sequence}) does not match the anchor hash`,
        anchor.sequence,
      );
    }
    this.checkpoints.set(checkpoint.sequence, checkpoint);
  }

  private approvalLine(line: string, n: number): void {
    const name = packFiles.approvals;
    const row = parseEventLine(name, line, n);
    if (chainHash(row.prevHash, row.sequence, row.envelope) !== row.hash) {
      fail(
        name,
        "modified",
        `approval event ${row.id} at sequence ${row.sequence} does not hash to its stored hash`,
        row.sequence,
      );
    }
    if (this.approvals.size < maxRememberedApprovals) this.approvals.set(row.sequence, row.hash);
    this.approvalsChecked++;
  }

  private eventLine(line: string, n: number): void {
    const name = packFiles.events;
    const row = parseEventLine(name, line, n);
    const chain = this.chain!;
    if (!chain.push(row)) {
      const failure = chain.failure!;
      fail(name, failure.reason, failure.message, failure.sequence);
    }
    const checkpoint = this.checkpoints.get(row.sequence);
    if (checkpoint && checkpoint.headHash !== row.hash) {
      fail(
        name,
        "checkpoint_mismatch",
        `event ${row.id} at sequence ${row.sequence} has hash ${row.hash.slice(0, 12)}… but the checkpoint signed at ${checkpoint.signedAt} says ${checkpoint.headHash.slice(0, 12)}…`,
        row.sequence,
      );
    }
    // Cheap substring tests first: most events hold no personal data and are not parsed again.
    if (row.envelope.includes('"pii":{') || row.envelope.includes('"type":"compliance.subject_erased"')) {
      this.notePersonalData(row.sequence, row.envelope);
    }
    const approval = this.approvals.get(row.sequence);
    if (approval !== undefined && approval !== row.hash) {
      fail(
        packFiles.approvals,
        "approval_mismatch",
        `the approval at sequence ${row.sequence} is not the event at that sequence`,
        row.sequence,
      );
    }
    this.eventCount++;
  }

  /** Remembers whose sealed data an event holds, or which key it records as destroyed. */
  private notePersonalData(sequence: number, envelope: string): void {
    if (this.personalDataOverflow) return;
    const parsed = JSON.parse(envelope) as { type?: unknown; payload?: Record<string, unknown> };
    const payload = parsed.payload ?? {};
    if (parsed.type === "compliance.subject_erased") {
      this.erasures.set(`${String(payload.subjectId)}|${String(payload.keyId)}`, sequence);
    } else {
      const pii = payload.pii as { subjectId?: unknown; keyId?: unknown } | undefined;
      if (!pii || typeof pii.subjectId !== "string" || typeof pii.keyId !== "string") return;
      const key = `${pii.subjectId}|${pii.keyId}`;
      this.sealedSections.set(key, (this.sealedSections.get(key) ?? 0) + 1);
    }
    if (this.sealedSections.size + this.erasures.size > maxRememberedSubjectKeys) {
      // Beyond this many subjects the file is only checked against its hash in the manifest.
      this.personalDataOverflow = true;
      this.sealedSections.clear();
      this.erasures.clear();
    }
  }

  private personalDataLine(line: string, n: number): void {
    const name = packFiles.personalData;
    const parsed = personalDataLineSchema.safeParse(parseJson(name, line, n));
    if (!parsed.success) fail(name, "malformed", `line ${n} of ${name} is not a data subject's key`);
    const entry = parsed.data;
    const key = `${entry.subjectId}|${entry.keyId}`;
    if (this.personalDataListed.has(key)) fail(name, "malformed", `line ${n} of ${name} lists ${key} twice`);
    this.personalDataListed.add(key);
    if (entry.state === "erased") this.personalDataErased++;
    if (this.personalDataOverflow) return;
    const sections = this.sealedSections.get(key) ?? 0;
    if (entry.events !== sections) {
      fail(
        name,
        "personal_data_mismatch",
        `${name} says ${entry.events} events hold data of subject ${entry.subjectId} under key ${entry.keyId}; ${packFiles.events} has ${sections}`,
      );
    }
    const erasure = this.erasures.get(key);
    if ((erasure ?? null) !== entry.erasureSequence) {
      fail(
        name,
        "personal_data_mismatch",
        `${name} names erasure ${entry.erasureSequence ?? "none"} for subject ${entry.subjectId} key ${entry.keyId}; ${packFiles.events} has ${erasure ?? "none"}`,
        entry.erasureSequence ?? erasure,
      );
    }
    if (erasure !== undefined && entry.state !== "erased") {
      fail(
        name,
        "personal_data_mismatch",
        `key ${entry.keyId} of subject ${entry.subjectId} was destroyed at sequence ${erasure} but is listed as ${entry.state}`,
        erasure,
      );
    }
  }

  private finishPersonalData(): void {
    if (!this.personalDataOverflow) {
      for (const key of [...this.sealedSections.keys(), ...this.erasures.keys()]) {
        if (!this.personalDataListed.has(key)) {
          fail(
            packFiles.personalData,
            "personal_data_mismatch",
            `${packFiles.events} holds sealed data or an erasure of ${key.replace("|", " key ")}, which ${packFiles.personalData} does not list`,
          );
        }
      }
    }
    this.note(
      `✓ ${packFiles.personalData}: ${this.personalDataListed.size} data-subject keys, ${this.personalDataErased} erased (their sealed fields read "[erased]"); ` +
        (this.personalDataOverflow
          ? "too many to cross-check, matched by hash only"
          : `${this.erasures.size} erasure events in the pack, every sealed section accounted for`),
    );
  }

  private finishEvents(): void {
    const { chain: expected } = this.manifest!;
    const chain = this.chain!;
    if (chain.last.sequence !== expected.lastSequence || this.eventCount !== expected.events) {
      fail(
        packFiles.events,
        "removed",
        `${packFiles.events} ends at sequence ${chain.last.sequence} with ${this.eventCount} events; the manifest says ${expected.lastSequence} with ${expected.events}`,
        chain.last.sequence + 1,
      );
    }
    this.note(
      `✓ ${packFiles.events}: ${this.eventCount} events, sequences ${expected.anchor.sequence + 1}…${expected.lastSequence}, ` +
        `each linked to the one before from the anchor ${expected.anchor.hash.slice(0, 12)}… and hashing to its stored hash`,
    );
    const closing = expected.closingCheckpoint;
    if (closing === null) {
      if (expected.anchor.sequence !== 0 || this.eventCount !== 0) {
        fail(
          packFiles.manifest,
          "no_checkpoint",
          "the manifest names no closing checkpoint for a pack that has events",
        );
      }
      this.note("✓ the pack starts at the genesis of the chain and holds no events: nothing to anchor");
      return;
    }
    const stored = this.checkpoints.get(closing.sequence);
    if (!stored || stored.signature !== closing.signature || stored.headHash !== closing.headHash) {
      fail(
        packFiles.checkpoints,
        "no_checkpoint",
        `the closing checkpoint at sequence ${closing.sequence} is not in ${packFiles.checkpoints}`,
        closing.sequence,
      );
    }
    if (closing.sequence !== chain.last.sequence || closing.headHash !== chain.last.hash) {
      fail(
        packFiles.events,
        "checkpoint_mismatch",
        `the chain ends at sequence ${chain.last.sequence} with hash ${chain.last.hash.slice(0, 12)}…, the closing checkpoint signed sequence ${closing.sequence} with ${closing.headHash.slice(0, 12)}…`,
        closing.sequence,
      );
    }
    for (const approvalSequence of this.approvals.keys()) {
      if (approvalSequence <= expected.anchor.sequence || approvalSequence > expected.lastSequence) {
        fail(
          packFiles.approvals,
          "out_of_range",
          `the approval at sequence ${approvalSequence} is outside the pack's events`,
          approvalSequence,
        );
      }
    }
    this.note(
      `✓ closing checkpoint: sequence ${closing.sequence}, signed ${closing.signedAt} by ${closing.keyId}, matches the chain head` +
        (expected.closingCheckpointSignedForPack ? " (signed for this pack)" : ""),
    );
  }

  private postingLine(line: string, n: number): void {
    const name = packFiles.ledgerPostings;
    const parsed = postingLineSchema.safeParse(parseJson(name, line, n));
    if (!parsed.success) fail(name, "malformed", `line ${n} of ${name} is not a posting`);
    const posting = parsed.data;
    const period = this.manifest!.period;
    const at = Date.parse(posting.createdAt);
    if (!(at < Date.parse(period.to))) {
      fail(
        name,
        "out_of_range",
        `posting ${posting.entryId}#${posting.seq} was made at ${posting.createdAt}, after the period`,
      );
    }
    // Postings are grouped by entry: each entry must balance per book and currency.
    if (this.currentEntry?.id !== posting.entryId) {
      this.closeEntry();
      this.currentEntry = { id: posting.entryId, sums: new Map() };
    }
    const amount = BigInt(posting.amountMinor);
    const key = `${posting.bookId}\u0000${posting.currency}`;
    this.currentEntry!.sums.set(key, (this.currentEntry!.sums.get(key) ?? 0n) + amount);
    const sums = this.ledger.get(posting.accountId) ?? {
      debits: 0n,
      credits: 0n,
      opening: 0n,
      periodDebits: 0n,
      periodCredits: 0n,
      postings: 0,
    };
    if (amount > 0n) sums.debits += amount;
    else sums.credits -= amount;
    if (at < Date.parse(period.from)) sums.opening += amount;
    else if (amount > 0n) sums.periodDebits += amount;
    else sums.periodCredits -= amount;
    if (at >= Date.parse(period.from)) sums.postings++;
    this.ledger.set(posting.accountId, sums);
    if (this.accounts.size > 0 && !this.accounts.has(posting.accountId)) {
      fail(
        name,
        "unknown_account",
        `posting ${posting.entryId}#${posting.seq} is on account ${posting.accountId}, which is not in ${packFiles.ledgerAccounts}`,
      );
    }
    this.postings++;
  }

  private closeEntry(): void {
    if (!this.currentEntry) return;
    for (const [key, sum] of this.currentEntry.sums) {
      if (sum !== 0n) {
        const [book, currency] = key.split("\u0000");
        fail(
          packFiles.ledgerPostings,
          "unbalanced",
          `entry ${this.currentEntry.id} does not balance: book ${book} ${currency} sums to ${sum}`,
        );
      }
    }
  }

  finish(): void {
    const manifest = this.manifest;
    if (!manifest) fail("(archive)", "layout", "the archive is empty");
    if (
      !this.expected.has(packFiles.personalData) &&
      (this.sealedSections.size > 0 || this.personalDataOverflow)
    ) {
      fail(
        packFiles.manifest,
        "missing",
        `${packFiles.events} holds sealed personal data but the pack has no ${packFiles.personalData}`,
      );
    }
    for (const file of this.expected.keys()) {
      if (!this.seen.has(file))
        fail(file, "missing", `${file} is listed in the manifest but not in the archive`);
    }
    this.note(
      `✓ every file matches its SHA-256 and size in the signed manifest (${this.expected.size} files)`,
    );
    this.closeEntry();
    if (this.expected.has(packFiles.ledgerPostings)) this.checkLedger();
    for (const absent of manifest.absent) this.note(`– ${absent.part}: not in this pack (${absent.reason})`);
  }

  private checkLedger(): void {
    const balance = this.trialBalance;
    if (!balance)
      fail(packFiles.trialBalance, "missing", "ledger postings are present but the trial balance is not");
    const byCurrency = new Map<string, { debits: bigint; credits: bigint }>();
    for (const [accountId, sums] of this.ledger) {
      const currency = this.accounts.get(accountId)?.currency ?? "?";
      const total = byCurrency.get(currency) ?? { debits: 0n, credits: 0n };
      total.debits += sums.debits;
      total.credits += sums.credits;
      byCurrency.set(currency, total);
    }
    for (const [currency, total] of byCurrency) {
      if (total.debits !== total.credits) {
        fail(
          packFiles.ledgerPostings,
          "unbalanced",
          `${currency} postings do not sum to zero: debits ${total.debits}, credits ${total.credits}`,
        );
      }
    }
    const listed = new Set<string>();
    for (const account of balance.accounts) {
      listed.add(account.accountId);
      const sums = this.ledger.get(account.accountId);
      const debits = sums?.debits ?? 0n;
      const credits = sums?.credits ?? 0n;
      if (BigInt(account.debitsPostedMinor) !== debits || BigInt(account.creditsPostedMinor) !== credits) {
        fail(
          packFiles.trialBalance,
          "ledger_mismatch",
          `account ${account.accountId}: the trial balance says debits ${account.debitsPostedMinor} / credits ${account.creditsPostedMinor}, its postings sum to ${debits} / ${credits}`,
        );
      }
    }
    for (const accountId of this.ledger.keys()) {
      if (!listed.has(accountId))
        fail(
          packFiles.trialBalance,
          "ledger_mismatch",
          `account ${accountId} has postings but is not in the trial balance`,
        );
    }
    for (const total of balance.currencies) {
      const sums = byCurrency.get(total.currency) ?? { debits: 0n, credits: 0n };
      if (
        BigInt(total.debitsPostedMinor) !== sums.debits ||
        BigInt(total.creditsPostedMinor) !== sums.credits
      ) {
        fail(packFiles.trialBalance, "ledger_mismatch", `${total.currency} totals do not match the postings`);
      }
    }
    for (const statement of this.statements) {
      const sums = this.ledger.get(statement.accountId);
      const opening = sums?.opening ?? 0n;
      const debits = sums?.periodDebits ?? 0n;
      const credits = sums?.periodCredits ?? 0n;
      if (
        BigInt(statement.openingMinor) !== opening ||
        BigInt(statement.debitsMinor) !== debits ||
        BigInt(statement.creditsMinor) !== credits ||
        BigInt(statement.closingMinor) !== opening + debits - credits ||
        statement.postings !== (sums?.postings ?? 0)
      ) {
        fail(
          packFiles.statements,
          "ledger_mismatch",
          `the statement of account ${statement.accountId} does not match its postings`,
        );
      }
    }
    this.note(
      `✓ ledger: trial balance recomputed from ${this.postings} postings on ${this.ledger.size} accounts matches; ` +
        `every entry balances; every currency sums to zero; ${this.statements.length} statements match`,
    );
  }
}

function parseJson(file: string, text: string | Buffer, line?: number): unknown {
  try {
    return JSON.parse(typeof text === "string" ? text : text.toString("utf8"));
  } catch {
    fail(
      file,
      "malformed",
      line === undefined ? `${file} is not valid JSON` : `line ${line} of ${file} is not valid JSON`,
    );
  }
}

/** Hand-checked rather than zod-parsed: this runs once per event, a million times per pack. */
function parseEventLine(file: string, line: string, n: number) {
  const row = parseJson(file, line, n) as Record<string, unknown>;
  if (
    typeof row.sequence !== "number" ||
    typeof row.id !== "string" ||
    typeof row.envelope !== "string" ||
    typeof row.prevHash !== "string" ||
    typeof row.hash !== "string" ||
    Object.keys(row).length !== 5
  ) {
    const parsed = eventLineSchema.safeParse(row);
    const issue = parsed.success ? undefined : parsed.error.issues[0];
    fail(
      file,
      "malformed",
      `line ${n} of ${file} is not a stored event${issue ? `: ${issue.path.join(".")}: ${issue.message}` : ""}`,
    );
  }
  return row as { sequence: number; id: string; envelope: string; prevHash: string; hash: string };
}

/** Splits a byte stream into UTF-8 lines without holding more than one partial line. */
class LineSplitter {
  private rest: Buffer | null = null;
  private lineNumber = 0;

  constructor(private readonly onLine: (line: string, lineNumber: number) => void) {}

  push(chunk: Buffer): void {
    let data = chunk;
    if (this.rest) {
      data = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    let start = 0;
    for (;;) {
      const newline = data.indexOf(0x0a, start);
      if (newline === -1) break;
      this.lineNumber++;
      if (newline > start) this.onLine(data.toString("utf8", start, newline), this.lineNumber);
      start = newline + 1;
    }
    if (start < data.length) this.rest = Buffer.from(data.subarray(start));
  }

  end(): void {
    if (this.rest && this.rest.length > 0) {
      this.lineNumber++;
      this.onLine(this.rest.toString("utf8"), this.lineNumber);
    }
    this.rest = null;
  }
}
