// Builds one evidence pack (COMPL-003): every file is streamed to a build folder while its
// SHA-256 is computed, then the signed manifest goes first into a gzipped tar next to it. The
// stored chain is verified while it is exported (from the anchor, against every checkpoint in
// range), so a pack is never built from a log that does not verify.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import tar from "tar-stream";
import type { Clock } from "@/server/shared/clock";
import type { Db } from "@/server/shared/db";
import { AppError, invariant } from "@/server/shared/errors";
import { ChainVerifier, genesisHash } from "@/server/shared/events/chain";
import { personalDataSectionOf } from "@/server/shared/events/personal-data";
import { chainHead } from "@/server/shared/events/store";
import type { CheckpointCopies } from "./checkpoint-copies";
import type { AuditKeyring } from "./keyring";
import {
  archiveOrder,
  isApprovalEventType,
  type PackManifest,
  type PersonalDataLine,
  packFiles,
  packFormat,
  packReadme,
} from "./pack-format";
import { checkpointAt, checkpointColumns, toSignedCheckpoint } from "./sign-checkpoint";
import { checkpointJson, type SignedCheckpoint, signatureAlgorithm, signBytes } from "./signing";
import { listAuditKeys } from "./sync-keyring";

export type PackBuildProgress = { phase: string; eventsWritten: number; eventsTotal: number };

export type BuiltPack = {
  fileName: string;
  filePath: string;
  bytes: number;
  sha256: string;
  manifestSha256: string;
  keyId: string;
  firstSequence: number;
  lastSequence: number;
  periodEvents: number;
  coveredPortfolios: string[];
};

const eventPageSize = 10_000;
const postingPageSize = 20_000;

export async function buildEvidencePack(options: {
  db: Db;
  keyring: AuditKeyring;
  copies: CheckpointCopies[];
  packDir: string;
  pack: { id: string; portfolioId: string; periodFrom: Date; periodTo: Date };
  /** zlib level: 1 is several times faster than the default 6 and costs ~15 % in size on JSON. */
  gzipLevel?: number;
  clock?: Clock;
  onProgress?: (progress: PackBuildProgress) => void;
}): Promise<BuiltPack> {
  const { db, pack } = options;
  const activeKey = options.keyring.activeKey();
  invariant(activeKey, "the audit keyring has an active key before packs are signed");
  const buildDir = path.join(options.packDir, `${pack.id}.build`);
  await fs.promises.rm(buildDir, { recursive: true, force: true });
  await fs.promises.mkdir(path.join(buildDir, "ledger"), { recursive: true, mode: 0o700 });
  const files = new Map<string, { sha256: string; bytes: number }>();
  const absent: PackManifest["absent"] = [];
  const write = async (name: string, produce: (out: HashingWriter) => Promise<void>) => {
    const out = new HashingWriter(path.join(buildDir, name));
    try {
      await produce(out);
    } finally {
      files.set(name, await out.close());
    }
  };

  try {
    // The range: from the first event that occurred at or after `from` to the last that occurred
    // before `to`, gap-free (the chain cannot be checked across a hole).
    const progress = (phase: string, eventsWritten = 0, eventsTotal = 0) =>
      options.onProgress?.({ phase, eventsWritten, eventsTotal });
    progress("range");
    const head = await chainHead(db);
    const [bounds] = await db.$queryRawUnsafe<Array<{ first: bigint | null; last: bigint | null }>>(
      `SELECT (SELECT min(sequence) FROM events WHERE occurred_at >= $1) AS first,
              (SELECT max(sequence) FROM events WHERE occurred_at < $2) AS last`,
      pack.periodFrom,
      pack.periodTo,
    );
    const firstSequence =
      bounds?.first === null || bounds?.first === undefined ? head.sequence + 1 : Number(bounds.first);
    const anchorSequence = firstSequence - 1;
    const lastSequence = Math.max(
      bounds?.last === null || bounds?.last === undefined ? 0 : Number(bounds.last),
      anchorSequence,
    );
    const eventsTotal = lastSequence - anchorSequence;
    const anchorHash = anchorSequence === 0 ? genesisHash : await hashAt(db, anchorSequence);

    const inRange = (
      await db.$queryRawUnsafe<Parameters<typeof toSignedCheckpoint>[0][]>(
        `SELECT ${checkpointColumns} FROM audit_checkpoints WHERE sequence >= $1 AND sequence <= $2 ORDER BY sequence`,
        anchorSequence,
        lastSequence,
      )
    ).map(toSignedCheckpoint);
    const checkpointsBySequence = new Map(inRange.map((c) => [c.sequence, c]));
    const anchorCheckpoint = checkpointsBySequence.get(anchorSequence);
    if (anchorCheckpoint && anchorCheckpoint.headHash !== anchorHash) {
      refuse(`the checkpoint at sequence ${anchorSequence} does not match the stored chain there`);
    }

    // events.jsonl and approvals.jsonl in one pass, verifying the chain as it goes, and noting
    // whose sealed personal data the events hold and which erasures they record.
    const verifier = new ChainVerifier({ sequence: anchorSequence, hash: anchorHash });
    const portfolios = new Set<string>();
    const personal = new PersonalDataTally();
    const approvals = new HashingWriter(path.join(buildDir, packFiles.approvals));
    try {
      await write(packFiles.events, async (out) => {
        let after = anchorSequence;
        let lastProgress = 0;
        while (after < lastSequence) {
          const rows = await db.$queryRawUnsafe<EventRow[]>(
            `SELECT sequence, id, type, portfolio_id, envelope, prev_hash, hash FROM events
            WHERE sequence > $1 AND sequence <= $2 ORDER BY sequence LIMIT $3`,
            after,
            lastSequence,
            eventPageSize,
          );
          if (rows.length === 0) break;
          for (const row of rows) {
            const line = {
              sequence: Number(row.sequence),
              id: row.id,
              envelope: row.envelope,
              prevHash: row.prev_hash,
              hash: row.hash,
            };
            if (!verifier.push(line)) refuse(verifier.failure!.message);
            const checkpoint = checkpointsBySequence.get(line.sequence);
            if (checkpoint && checkpoint.headHash !== line.hash) {
              refuse(
                `event ${line.id} at sequence ${line.sequence} does not match the checkpoint signed at ${checkpoint.signedAt}`,
              );
            }
            const text = `${JSON.stringify(line)}\n`;
            await out.write(text);
            if (isApprovalEventType(row.type)) await approvals.write(text);
            if (row.portfolio_id) portfolios.add(row.portfolio_id);
            personal.add(line.sequence, row.type, row.envelope);
          }
          after = Number(rows.at(-1)!.sequence);
          if (verifier.checked - lastProgress >= 20_000) {
            lastProgress = verifier.checked;
            progress("events", verifier.checked, eventsTotal);
          }
        }
      });
    } finally {
      // Closed whether or not the export succeeded, so no file handle outlives the build.
      files.set(packFiles.approvals, await approvals.close());
    }
    if (verifier.last.sequence !== lastSequence) {
      refuse(
        `the log ends at sequence ${verifier.last.sequence}, before the period's last event ${lastSequence}`,
      );
    }
    progress("checkpoints", verifier.checked, eventsTotal);

    // The closing checkpoint: the one signed with the log at lastSequence, or else one signed now,
    // after checking that the stored chain from there reaches the next checkpoint signed with it.
    let closing: SignedCheckpoint | null = null;
    let closingSignedForPack = false;
    if (lastSequence > 0) {
      closing = checkpointsBySequence.get(lastSequence) ?? null;
      if (!closing) {
        await checkTail(db, verifier.last);
        const signed = await checkpointAt({
          db,
          keyring: options.keyring,
          copies: options.copies,
          sequence: lastSequence,
          clock: options.clock,
        });
        closing = signed.checkpoint;
        closingSignedForPack = signed.signedNow;
        invariant(
          closing?.headHash === verifier.last.hash,
          "the closing checkpoint signs the exported chain head",
        );
        checkpointsBySequence.set(lastSequence, closing);
      }
    }
    await write(packFiles.checkpoints, async (out) => {
      for (const checkpoint of [...checkpointsBySequence.values()].sort((a, b) => a.sequence - b.sequence)) {
        await out.write(`${checkpointJson(checkpoint)}\n`);
      }
    });
    await write(packFiles.keys, async (out) => {
      await out.write(`${JSON.stringify({ keys: await listAuditKeys({ db }) }, null, 2)}\n`);
    });

    if (await tableExists(db, "personal_data_subjects")) {
      await write(packFiles.personalData, (out) => personal.write(db, out));
    } else {
      absent.push({ part: "personal data", reason: "this deployment has no personal_data_subjects table" });
    }

    progress("policies", verifier.checked, eventsTotal);
    if (await tableExists(db, "policy_versions")) {
      await write(packFiles.policyVersions, (out) =>
        writePolicyVersions(db, out, pack.periodFrom, pack.periodTo),
      );
    } else {
      absent.push({ part: "policy versions", reason: "this deployment has no policy_versions table" });
    }
    await write(packFiles.findings, (out) => writeFindings(db, out, pack.periodTo));

    progress("ledger", verifier.checked, eventsTotal);
    const ledgerTables = ["ledger_accounts", "ledger_entries", "ledger_postings"];
    if ((await Promise.all(ledgerTables.map((t) => tableExists(db, t)))).every(Boolean)) {
      await writeLedger(db, pack.periodFrom, pack.periodTo, write);
    } else {
      absent.push({ part: "ledger", reason: "this deployment has no ledger tables" });
    }
    await write(packFiles.readme, (out) => out.write(packReadme));

    // The manifest, signed; then the archive with the manifest first.
    progress("archive", verifier.checked, eventsTotal);
    const manifest: PackManifest = {
      format: packFormat,
      packId: pack.id,
      builtAt: new Date().toISOString(),
      period: { from: pack.periodFrom.toISOString(), to: pack.periodTo.toISOString() },
      scope: { requestedIn: pack.portfolioId, portfolios: [...portfolios].sort() },
      chain: {
        anchor: { sequence: anchorSequence, hash: anchorHash },
        lastSequence,
        events: eventsTotal,
        closingCheckpoint: closing,
        closingCheckpointSignedForPack: closingSignedForPack,
      },
      signingKeyId: activeKey.keyId,
      files: archiveOrder
        .filter((name) => files.has(name))
        .map((name) => ({ path: name, ...files.get(name)! })),
      absent,
    };
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, "utf8");
    const signatureBytes = Buffer.from(
      `${JSON.stringify({
        algorithm: signatureAlgorithm,
        keyId: activeKey.keyId,
        signature: signBytes(activeKey.privateKey, manifestBytes),
      })}\n`,
    );
    const fileName = `${pack.id}.tar.gz`;
    const filePath = path.join(options.packDir, fileName);
    const archive = await writeArchive({
      target: filePath,
      gzipLevel: options.gzipLevel ?? 1,
      entries: [
        { name: packFiles.manifest, bytes: manifestBytes },
        { name: packFiles.signature, bytes: signatureBytes },
        ...archiveOrder
          .filter((name) => files.has(name))
          .map((name) => ({ name, file: path.join(buildDir, name) })),
      ],
    });
    return {
      fileName,
      filePath,
      bytes: archive.bytes,
      sha256: archive.sha256,
      manifestSha256: createHash("sha256").update(manifestBytes).digest("hex"),
      keyId: activeKey.keyId,
      firstSequence,
      lastSequence,
      periodEvents: eventsTotal,
      coveredPortfolios: manifest.scope.portfolios,
    };
  } finally {
    await fs.promises.rm(buildDir, { recursive: true, force: true });
  }
}

type EventRow = {
  sequence: bigint;
  id: string;
  type: string;
  portfolio_id: string | null;
  envelope: string;
  prev_hash: string;
  hash: string;
};

function refuse(message: string): never {
  throw new AppError(
    "UNPROCESSABLE",
    `The stored audit trail does not verify, so no pack was built: ${message}`,
  );
}

async function hashAt(db: Db, sequence: number): Promise<string> {
  const [row] = await db.$queryRawUnsafe<Array<{ hash: string }>>(
    "SELECT hash FROM events WHERE sequence = $1",
    sequence,
  );
  if (!row) refuse(`the event at sequence ${sequence} is missing`);
  return row.hash;
}

/**
 * Before signing a checkpoint for the pack, the stored chain from the pack's last event must
 * reach the next checkpoint signed with the log: then the new signature adds no trust that the
 * log did not already carry.
 */
async function checkTail(db: Db, from: { sequence: number; hash: string }): Promise<void> {
  const [next] = await db.$queryRawUnsafe<Parameters<typeof toSignedCheckpoint>[0][]>(
    `SELECT ${checkpointColumns} FROM audit_checkpoints WHERE sequence > $1 ORDER BY sequence LIMIT 1`,
    from.sequence,
  );
  if (!next) return;
  const target = toSignedCheckpoint(next);
  const verifier = new ChainVerifier(from);
  let after = from.sequence;
  while (after < target.sequence) {
    const rows = await db.$queryRawUnsafe<EventRow[]>(
      `SELECT sequence, id, envelope, prev_hash, hash FROM events
        WHERE sequence > $1 AND sequence <= $2 ORDER BY sequence LIMIT $3`,
      after,
      target.sequence,
      eventPageSize,
    );
    if (rows.length === 0) break;
    for (const row of rows) {
      const ok = verifier.push({
        sequence: Number(row.sequence),
        id: row.id,
        envelope: row.envelope,
        prevHash: row.prev_hash,
        hash: row.hash,
      });
      if (!ok) refuse(verifier.failure!.message);
    }
    after = Number(rows.at(-1)!.sequence);
  }
  if (verifier.last.sequence !== target.sequence || verifier.last.hash !== target.headHash) {
    refuse(
      `the stored chain does not reach the checkpoint at sequence ${target.sequence} that was signed after the period`,
    );
  }
}

async function tableExists(db: Db, table: string): Promise<boolean> {
  const [row] = await db.$queryRawUnsafe<Array<{ ok: boolean }>>(
    "SELECT to_regclass($1) IS NOT NULL AS ok",
    `public.${table}`,
  );
  return row?.ok === true;
}

async function writePolicyVersions(db: Db, out: HashingWriter, from: Date, to: Date): Promise<void> {
  const rows = await db.$queryRawUnsafe<
    Array<{
      portfolio_id: string;
      scope: string;
      number: number;
      version_hash: string;
      text: string;
      policy_ids: string[];
      note: string | null;
      created_by_type: string;
      created_by_id: string;
      created_at: Date;
      role: "in_force_at_start" | "published_in_period";
    }>
  >(
    `SELECT * FROM (
       SELECT DISTINCT ON (portfolio_id, scope) portfolio_id, scope, number, version_hash, text, policy_ids, note,
              created_by_type, created_by_id, created_at, 'in_force_at_start' AS role
         FROM policy_versions WHERE created_at < $1 ORDER BY portfolio_id, scope, number DESC) AS at_start
     UNION ALL
     SELECT portfolio_id, scope, number, version_hash, text, policy_ids, note, created_by_type, created_by_id,
            created_at, 'published_in_period' AS role
       FROM policy_versions WHERE created_at >= $1 AND created_at < $2
     ORDER BY portfolio_id, scope, number`,
    from,
    to,
  );
  for (const row of rows) {
    await out.write(
      `${JSON.stringify({
        portfolioId: row.portfolio_id,
        scope: row.scope,
        number: row.number,
        versionHash: row.version_hash,
        text: row.text,
        policyIds: row.policy_ids,
        note: row.note,
        createdBy: { type: row.created_by_type, id: row.created_by_id },
        createdAt: row.created_at.toISOString(),
        role: row.role,
      })}\n`,
    );
  }
}

async function writeFindings(db: Db, out: HashingWriter, to: Date): Promise<void> {
  const rows = await db.$queryRawUnsafe<
    Array<{
      id: string;
      portfolio_id: string | null;
      severity: string;
      kind: string;
      title: string;
      detail: string;
      status: string;
      owner: string | null;
      created_at: Date;
    }>
  >(
    `SELECT id, portfolio_id, severity, kind, title, detail, status, owner, created_at
       FROM findings WHERE created_at < $1 ORDER BY created_at, id`,
    to,
  );
  for (const row of rows) {
    await out.write(
      `${JSON.stringify({
        id: row.id,
        portfolioId: row.portfolio_id,
        severity: row.severity,
        kind: row.kind,
        title: row.title,
        detail: row.detail,
        status: row.status,
        owner: row.owner,
        createdAt: row.created_at.toISOString(),
      })}\n`,
    );
  }
}

type Sums = {
  debits: bigint;
  credits: bigint;
  opening: bigint;
  periodDebits: bigint;
  periodCredits: bigint;
  postings: number;
};

/**
 * Accounts, every posting up to the period end (grouped by entry), and the trial balance and
 * statements recomputed from those postings here, exactly as the offline verifier recomputes them.
 */
async function writeLedger(
  db: Db,
  from: Date,
  to: Date,
  write: (name: string, produce: (out: HashingWriter) => Promise<void>) => Promise<void>,
): Promise<void> {
  const accounts = await db.$queryRawUnsafe<
    Array<{
      id: string;
      portfolio_id: string;
      venture_id: string | null;
      book_id: string;
      code: string;
      currency: string;
      kind: string;
    }>
  >(
    `SELECT id, portfolio_id, venture_id, book_id, code, currency, kind FROM ledger_accounts
      WHERE created_at < $1 ORDER BY currency, book_id, code`,
    to,
  );
  await write(packFiles.ledgerAccounts, async (out) => {
    for (const a of accounts) {
      await out.write(
        `${JSON.stringify({ accountId: a.id, portfolioId: a.portfolio_id, ventureId: a.venture_id, bookId: a.book_id, code: a.code, currency: a.currency.trim(), kind: a.kind })}\n`,
      );
    }
  });
  const sums = new Map<string, Sums>();
  await write(packFiles.ledgerPostings, async (out) => {
    let afterEntry = "";
    let afterSeq = -1;
    for (;;) {
      const rows = await db.$queryRawUnsafe<
        Array<{
          entry_id: string;
          seq: number;
          account_id: string;
          book_id: string;
          currency: string;
          amount_minor: bigint;
          created_at: Date;
        }>
      >(
        `SELECT p.entry_id, p.seq, p.account_id, p.book_id, p.currency, p.amount_minor, e.created_at
           FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id
          WHERE e.created_at < $1 AND (p.entry_id, p.seq) > ($2, $3)
          ORDER BY p.entry_id, p.seq LIMIT $4`,
        to,
        afterEntry,
        afterSeq,
        postingPageSize,
      );
      for (const p of rows) {
        const amount = BigInt(p.amount_minor);
        await out.write(
          `${JSON.stringify({ entryId: p.entry_id, seq: p.seq, accountId: p.account_id, bookId: p.book_id, currency: p.currency.trim(), amountMinor: amount.toString(), createdAt: p.created_at.toISOString() })}\n`,
        );
        const s = sums.get(p.account_id) ?? {
          debits: 0n,
          credits: 0n,
          opening: 0n,
          periodDebits: 0n,
          periodCredits: 0n,
          postings: 0,
        };
        if (amount > 0n) s.debits += amount;
        else s.credits -= amount;
        if (p.created_at < from) s.opening += amount;
        else {
          if (amount > 0n) s.periodDebits += amount;
          else s.periodCredits -= amount;
          s.postings++;
        }
        sums.set(p.account_id, s);
      }
      if (rows.length < postingPageSize) break;
      afterEntry = rows.at(-1)!.entry_id;
      afterSeq = rows.at(-1)!.seq;
    }
  });
  const zero: Sums = {
    debits: 0n,
    credits: 0n,
    opening: 0n,
    periodDebits: 0n,
    periodCredits: 0n,
    postings: 0,
  };
  const currencies = new Map<string, { debits: bigint; credits: bigint }>();
  for (const a of accounts) {
    const s = sums.get(a.id) ?? zero;
    const total = currencies.get(a.currency.trim()) ?? { debits: 0n, credits: 0n };
    total.debits += s.debits;
    total.credits += s.credits;
    currencies.set(a.currency.trim(), total);
  }
  for (const [currency, total] of currencies) {
    // Invariant 1: every currency sums to zero over the whole ledger.
    invariant(total.debits === total.credits, `posted ${currency} debits equal credits up to the period end`);
  }
  await write(packFiles.trialBalance, async (out) => {
    await out.write(
      `${JSON.stringify(
        {
          asOf: to.toISOString(),
          currencies: [...currencies].map(([currency, t]) => ({
            currency,
            debitsPostedMinor: t.debits.toString(),
            creditsPostedMinor: t.credits.toString(),
          })),
          accounts: accounts.map((a) => {
            const s = sums.get(a.id) ?? zero;
            return {
              accountId: a.id,
              bookId: a.book_id,
              code: a.code,
              kind: a.kind,
              currency: a.currency.trim(),
              debitsPostedMinor: s.debits.toString(),
              creditsPostedMinor: s.credits.toString(),
            };
          }),
        },
        null,
        2,
      )}\n`,
    );
  });
  await write(packFiles.statements, async (out) => {
    for (const a of accounts) {
      const s = sums.get(a.id) ?? zero;
      await out.write(
        `${JSON.stringify({
          accountId: a.id,
          currency: a.currency.trim(),
          openingMinor: s.opening.toString(),
          debitsMinor: s.periodDebits.toString(),
          creditsMinor: s.periodCredits.toString(),
          closingMinor: (s.opening + s.periodDebits - s.periodCredits).toString(),
          postings: s.postings,
        })}\n`,
      );
    }
  });
}

/**
 * Whose sealed personal data the pack's events hold (by subject and key) and the erasures they
 * record; written as personal-data.jsonl with each key's state when the pack is built.
 */
class PersonalDataTally {
  private readonly keys = new Map<
    string,
    { subjectType: PersonalDataLine["subjectType"]; subjectId: string; keyId: string; events: number }
  >();
  private readonly erasures = new Map<string, { sequence: number; occurredAt: string }>();

  add(sequence: number, type: string, envelope: string): void {
    // Cheap test first: most events hold no personal data and are not parsed again.
    const erasure = type === "compliance.subject_erased";
    if (!erasure && !envelope.includes('"pii":{')) return;
    const parsed = JSON.parse(envelope) as { occurredAt: string; payload: Record<string, unknown> };
    if (erasure) {
      const p = parsed.payload as {
        subjectType: PersonalDataLine["subjectType"];
        subjectId: string;
        keyId: string;
      };
      const key = `${p.subjectId}|${p.keyId}`;
      this.erasures.set(key, { sequence, occurredAt: parsed.occurredAt });
      if (!this.keys.has(key))
        this.keys.set(key, { subjectType: p.subjectType, subjectId: p.subjectId, keyId: p.keyId, events: 0 });
      return;
    }
    const section = personalDataSectionOf(parsed.payload);
    if (!section) return;
    const key = `${section.subjectId}|${section.keyId}`;
    const entry = this.keys.get(key) ?? {
      subjectType: section.subjectType,
      subjectId: section.subjectId,
      keyId: section.keyId,
      events: 0,
    };
    entry.events++;
    this.keys.set(key, entry);
  }

  async write(db: Db, out: HashingWriter): Promise<void> {
    const subjectIds = [...new Set([...this.keys.values()].map((k) => k.subjectId))];
    const rows =
      subjectIds.length === 0
        ? []
        : await db.$queryRawUnsafe<
            Array<{ subject_id: string; key_id: string; live: boolean; erased_at: Date | null }>
          >(
            `SELECT subject_id, key_id, wrapped_key IS NOT NULL AS live, erased_at FROM personal_data_subjects
              WHERE subject_id = ANY($1::text[])`,
            subjectIds,
          );
    const current = new Map(rows.map((r) => [r.subject_id, r]));
    const lines = [...this.keys.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [key, k] of lines) {
      const row = current.get(k.subjectId);
      const active = row?.live === true && row.key_id === k.keyId;
      const erasure = this.erasures.get(key) ?? null;
      const line: PersonalDataLine = {
        subjectType: k.subjectType,
        subjectId: k.subjectId,
        keyId: k.keyId,
        events: k.events,
        state: active ? "active" : "erased",
        erasedAt: active
          ? null
          : (erasure?.occurredAt ??
            (row?.key_id === k.keyId ? (row.erased_at?.toISOString() ?? null) : null)),
        erasureSequence: erasure?.sequence ?? null,
      };
      await out.write(`${JSON.stringify(line)}\n`);
    }
  }
}

/** A file written through a 1 MB buffer, hashed as it goes. */
class HashingWriter {
  private readonly stream: fs.WriteStream;
  private readonly hash = createHash("sha256");
  private buffer: string[] = [];
  private buffered = 0;
  private bytes = 0;

  constructor(file: string) {
    this.stream = fs.createWriteStream(file, { mode: 0o600 });
  }

  async write(text: string): Promise<void> {
    this.buffer.push(text);
    this.buffered += text.length;
    if (this.buffered >= 1 << 20) await this.flush();
  }

  async close(): Promise<{ sha256: string; bytes: number }> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.stream.once("error", reject);
      this.stream.end(resolve);
    });
    return { sha256: this.hash.digest("hex"), bytes: this.bytes };
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const chunk = Buffer.from(this.buffer.join(""), "utf8");
    this.buffer = [];
    this.buffered = 0;
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (!this.stream.write(chunk))
      await new Promise<void>((resolve) => this.stream.once("drain", () => resolve()));
  }
}

/** Writes a gzipped tar of the entries, in order, to `target` (via a .partial file). */
async function writeArchive(options: {
  target: string;
  gzipLevel: number;
  entries: Array<{ name: string; bytes: Buffer } | { name: string; file: string }>;
}): Promise<{ bytes: number; sha256: string }> {
  const partial = `${options.target}.partial`;
  const hash = createHash("sha256");
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  const pack = tar.pack();
  const writing = pipeline(
    pack,
    createGzip({ level: options.gzipLevel, chunkSize: 1 << 20 }),
    tap,
    fs.createWriteStream(partial, { mode: 0o600 }),
  );
  // Marked handled at once; awaited below, after the entries are written.
  writing.catch(() => {});
  const mtime = new Date();
  for (const entry of options.entries) {
    if ("bytes" in entry) {
      await new Promise<void>((resolve, reject) =>
        pack.entry(
          { name: entry.name, size: entry.bytes.length, mode: 0o644, mtime },
          entry.bytes,
          (error) => (error ? reject(error) : resolve()),
        ),
      );
    } else {
      const size = (await fs.promises.stat(entry.file)).size;
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry({ name: entry.name, size, mode: 0o644, mtime }, (error) =>
          error ? reject(error) : resolve(),
        );
        const source = fs.createReadStream(entry.file, { highWaterMark: 1 << 20 });
        source.once("error", reject);
        source.pipe(sink);
      });
    }
  }
  pack.finalize();
  await writing;
  await fs.promises.rename(partial, options.target);
  return { bytes, sha256: hash.digest("hex") };
}
