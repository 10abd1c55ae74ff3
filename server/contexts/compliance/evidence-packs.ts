// Evidence packs as jobs: requested (a row and compliance.evidence_pack_requested, in one
// transaction), built in the background by the compliance worker (claimed with a lease, so a
// crashed build is picked up again), and downloaded once ready.
import fs from "node:fs";
import type { Clock } from "@/server/shared/clock";
import { systemClock } from "@/server/shared/clock";
import { type Db, withTransaction } from "@/server/shared/db";
import { AppError, isAppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { buildEvidencePack, type PackBuildProgress } from "./build-evidence-pack";
import type { CheckpointCopies } from "./checkpoint-copies";
import type { AuditKeyring } from "./keyring";

export type EvidencePackStatus = "queued" | "building" | "ready" | "failed";

export type EvidencePackView = {
  id: string;
  portfolioId: string;
  from: Date;
  to: Date;
  status: EvidencePackStatus;
  phase: string | null;
  eventsTotal: number;
  eventsWritten: number;
  coveredPortfolios: string[];
  firstSequence: number | null;
  lastSequence: number | null;
  fileName: string | null;
  bytes: number | null;
  sha256: string | null;
  manifestSha256: string | null;
  keyId: string | null;
  error: string | null;
  requestedBy: { type: string; id: string };
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
};

type PackRow = {
  id: string;
  portfolio_id: string;
  period_from: Date;
  period_to: Date;
  status: EvidencePackStatus;
  phase: string | null;
  events_total: number;
  events_written: number;
  covered_portfolios: string[] | null;
  first_sequence: bigint | null;
  last_sequence: bigint | null;
  file_name: string | null;
  file_path: string | null;
  bytes: bigint | null;
  sha256: string | null;
  manifest_sha256: string | null;
  key_id: string | null;
  error: string | null;
  requested_by_type: string;
  requested_by_id: string;
  attempts: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
};

const columns = `id, portfolio_id, period_from, period_to, status, phase, events_total, events_written,
  covered_portfolios, first_sequence, last_sequence, file_name, file_path, bytes, sha256, manifest_sha256, key_id,
  error, requested_by_type, requested_by_id, attempts, created_at, started_at, finished_at`;

function toView(row: PackRow): EvidencePackView {
  return {
    id: row.id,
    portfolioId: row.portfolio_id,
    from: row.period_from,
    to: row.period_to,
    status: row.status,
    phase: row.phase,
    eventsTotal: row.events_total,
    eventsWritten: row.events_written,
    coveredPortfolios: row.covered_portfolios ?? [],
    firstSequence: row.first_sequence === null ? null : Number(row.first_sequence),
    lastSequence: row.last_sequence === null ? null : Number(row.last_sequence),
    fileName: row.file_name,
    bytes: row.bytes === null ? null : Number(row.bytes),
    sha256: row.sha256,
    manifestSha256: row.manifest_sha256,
    keyId: row.key_id,
    error: row.error,
    requestedBy: { type: row.requested_by_type, id: row.requested_by_id },
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** The longest period one pack may cover: ten years. */
export const packPeriodDaysMax = 3_660;

/**
 * The period rule, pure: `to` after `from`, `from` not in the future, at most packPeriodDaysMax
 * days. Refusals name the field (SPEC invariant 7).
 */
export function decidePackPeriod(command: { from: Date; to: Date; now: Date }): { from: Date; to: Date } {
  const { from, to, now } = command;
  if (from.getTime() > now.getTime()) {
    throw new AppError("BAD_REQUEST", `The period starts in the future (${from.toISOString()})`, {
      fields: { from: "must not be in the future" },
    });
  }
  if (to.getTime() <= from.getTime()) {
    throw new AppError(
      "BAD_REQUEST",
      `The period ends (${to.toISOString()}) before it starts (${from.toISOString()})`,
      {
        fields: { to: "must be after from" },
      },
    );
  }
  if (to.getTime() - from.getTime() > packPeriodDaysMax * 86_400_000) {
    throw new AppError("BAD_REQUEST", `The period is longer than ${packPeriodDaysMax} days`, {
      fields: { to: `must be at most ${packPeriodDaysMax} days after from` },
    });
  }
  return { from, to };
}

export async function requestEvidencePack(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  clock?: Clock;
  portfolioId: string;
  from: Date;
  to: Date;
}): Promise<EvidencePackView> {
  const period = decidePackPeriod({ ...options, now: (options.clock ?? systemClock).now() });
  const packId = newId("evidencePack");
  const row = await withTransaction(options.db, async (tx) => {
    await appendEvents(tx, options, [
      {
        type: "compliance.evidence_pack_requested",
        stream: { type: "evidence_pack", id: packId },
        expectedVersion: 0,
        portfolioId: options.portfolioId,
        payload: {
          packId,
          portfolioId: options.portfolioId,
          from: period.from.toISOString(),
          to: period.to.toISOString(),
        },
      },
    ]);
    const [inserted] = await tx.$queryRawUnsafe<PackRow[]>(
      `INSERT INTO evidence_packs (id, portfolio_id, period_from, period_to, status, requested_by_type, requested_by_id)
       VALUES ($1, $2, $3, $4, 'queued', $5, $6) RETURNING ${columns}`,
      packId,
      options.portfolioId,
      period.from,
      period.to,
      options.actor.type,
      options.actor.id,
    );
    return inserted!;
  });
  return toView(row);
}

export async function listEvidencePacks(options: {
  db: Db;
  portfolioId: string;
  limit?: number;
}): Promise<EvidencePackView[]> {
  const rows = await options.db.$queryRawUnsafe<PackRow[]>(
    `SELECT ${columns} FROM evidence_packs WHERE portfolio_id = $1 ORDER BY created_at DESC LIMIT $2`,
    options.portfolioId,
    Math.min(options.limit ?? 50, 200),
  );
  return rows.map(toView);
}

async function packRow(db: Db, portfolioId: string, packId: string): Promise<PackRow> {
  const [row] = await db.$queryRawUnsafe<PackRow[]>(
    `SELECT ${columns} FROM evidence_packs WHERE id = $1 AND portfolio_id = $2`,
    packId,
    portfolioId,
  );
  if (!row) throw new AppError("NOT_FOUND", `Evidence pack ${packId} not found`);
  return row;
}

export async function getEvidencePack(options: {
  db: Db;
  portfolioId: string;
  packId: string;
}): Promise<EvidencePackView> {
  return toView(await packRow(options.db, options.portfolioId, options.packId));
}

export type EvidencePackFile = {
  fileName: string;
  filePath: string;
  contentType: "application/gzip";
  bytes: number;
  sha256: string;
};

/**
 * The archive of a ready pack. The chain is one per deployment, so a pack holds the events of
 * every portfolio active in its period: downloading it needs the export permission in each of
 * them (`exportablePortfolios`, resolved by the caller from the actor's memberships).
 */
export async function evidencePackFile(options: {
  db: Db;
  portfolioId: string;
  packId: string;
  exportablePortfolios: string[];
}): Promise<EvidencePackFile> {
  const row = await packRow(options.db, options.portfolioId, options.packId);
  if (row.status !== "ready" || !row.file_path || !row.file_name || row.bytes === null || !row.sha256) {
    throw new AppError("CONFLICT", `Evidence pack ${row.id} is ${row.status}, not ready to download`);
  }
  const allowed = new Set(options.exportablePortfolios);
  const others = (row.covered_portfolios ?? []).filter((id) => !allowed.has(id));
  if (others.length > 0) {
    throw new AppError(
      "FORBIDDEN",
      `Evidence pack ${row.id} holds events of ${others.length} other portfolio(s) in which you may not export evidence`,
    );
  }
  if (!fs.existsSync(row.file_path)) {
    throw new AppError("NOT_FOUND", `The archive of evidence pack ${row.id} is no longer on this server`);
  }
  return {
    fileName: row.file_name,
    filePath: row.file_path,
    contentType: "application/gzip",
    bytes: Number(row.bytes),
    sha256: row.sha256,
  };
}

/** Builds given up on after this many claims. */
const attemptsMax = 3;

/**
 * Claims the oldest queued pack (or one whose builder stopped renewing its lease), builds it and
 * records the outcome. Returns null when there was nothing to build.
 */
export async function buildNextEvidencePack(options: {
  db: Db;
  keyring: AuditKeyring;
  copies: CheckpointCopies[];
  packDir: string;
  leaseMs?: number;
  gzipLevel?: number;
}): Promise<EvidencePackView | null> {
  const leaseSeconds = (options.leaseMs ?? 120_000) / 1000;
  const [job] = await options.db.$queryRawUnsafe<PackRow[]>(
    `UPDATE evidence_packs
        SET status = 'building', attempts = attempts + 1, started_at = coalesce(started_at, now()),
            lease_until = now() + make_interval(secs => $1), phase = 'starting', error = NULL
      WHERE id = (SELECT id FROM evidence_packs
                   WHERE status = 'queued' OR (status = 'building' AND lease_until < now())
                   ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING ${columns}`,
    leaseSeconds,
  );
  if (!job) return null;
  if (job.attempts > attemptsMax) {
    return fail(options.db, job, `gave up after ${attemptsMax} attempts: the builder stopped each time`);
  }
  let lastWrite = 0;
  let writing: Promise<unknown> = Promise.resolve();
  const onProgress = (progress: PackBuildProgress) => {
    const now = Date.now();
    if (now - lastWrite < 250 && progress.phase === "events") return;
    lastWrite = now;
    // Progress is best effort and ordered: one write at a time, never awaited by the build.
    writing = writing.then(() =>
      options.db
        .$executeRawUnsafe(
          `UPDATE evidence_packs SET phase = $2, events_written = $3, events_total = $4,
                  lease_until = now() + make_interval(secs => $5)
            WHERE id = $1 AND status = 'building'`,
          job.id,
          progress.phase,
          progress.eventsWritten,
          progress.eventsTotal,
          leaseSeconds,
        )
        .catch(() => {}),
    );
  };
  try {
    const built = await buildEvidencePack({
      db: options.db,
      keyring: options.keyring,
      copies: options.copies,
      packDir: options.packDir,
      gzipLevel: options.gzipLevel,
      pack: {
        id: job.id,
        portfolioId: job.portfolio_id,
        periodFrom: job.period_from,
        periodTo: job.period_to,
      },
      onProgress,
    });
    await writing;
    const ctx = { actor: { type: "worker", id: "compliance" } as EventActor, correlationId: job.id };
    const row = await withTransaction(options.db, async (tx) => {
      await appendEvents(tx, ctx, [
        {
          type: "compliance.evidence_pack_built",
          stream: { type: "evidence_pack", id: job.id },
          expectedVersion: 1,
          portfolioId: job.portfolio_id,
          payload: {
            packId: job.id,
            fileName: built.fileName,
            sha256: built.sha256,
            manifestSha256: built.manifestSha256,
            bytes: built.bytes,
            keyId: built.keyId,
            firstSequence: built.firstSequence,
            lastSequence: built.lastSequence,
            periodEvents: built.periodEvents,
          },
        },
      ]);
      const [updated] = await tx.$queryRawUnsafe<PackRow[]>(
        `UPDATE evidence_packs
            SET status = 'ready', phase = NULL, events_written = $2, events_total = $2, covered_portfolios = $3,
                first_sequence = $4, last_sequence = $5, file_name = $6, file_path = $7, bytes = $8, sha256 = $9,
                manifest_sha256 = $10, key_id = $11, finished_at = now(), lease_until = NULL
          WHERE id = $1 RETURNING ${columns}`,
        job.id,
        built.periodEvents,
        built.coveredPortfolios,
        built.firstSequence,
        built.lastSequence,
        built.fileName,
        built.filePath,
        built.bytes,
        built.sha256,
        built.manifestSha256,
        built.keyId,
      );
      return updated!;
    });
    return toView(row);
  } catch (error) {
    await writing;
    // A log that does not verify is a finding in itself; the scheduled verification raises it.
    const reason = isAppError(error)
      ? error.message
      : `build failed: ${error instanceof Error ? error.message : String(error)}`;
    return fail(options.db, job, reason);
  }
}

async function fail(db: Db, job: PackRow, reason: string): Promise<EvidencePackView> {
  const ctx = { actor: { type: "worker", id: "compliance" } as EventActor, correlationId: job.id };
  const row = await withTransaction(db, async (tx) => {
    await appendEvents(tx, ctx, [
      {
        type: "compliance.evidence_pack_failed",
        stream: { type: "evidence_pack", id: job.id },
        expectedVersion: 1,
        portfolioId: job.portfolio_id,
        payload: { packId: job.id, reason: reason.slice(0, 2_000) },
      },
    ]);
    const [updated] = await tx.$queryRawUnsafe<PackRow[]>(
      `UPDATE evidence_packs SET status = 'failed', phase = NULL, error = $2, finished_at = now(), lease_until = NULL
        WHERE id = $1 RETURNING ${columns}`,
      job.id,
      reason,
    );
    return updated!;
  });
  return toView(row);
}
