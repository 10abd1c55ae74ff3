// Verification runs: requested from the auditor pages (progress polled from the row) or
// scheduled; run by the compliance worker, which reads the checkpoint copies outside the
// database. Any failure becomes a critical finding; a requested run also records its outcome as
// compliance.audit_trail_verified.
import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import type { CheckpointCopies } from "./checkpoint-copies";
import { raiseFinding } from "./findings";
import type { AuditPublicKey } from "./signing";
import { type AuditTrailResult, type VerifyProgress, verifyAuditTrail } from "./verify-audit-trail";

export type VerificationStatus = "queued" | "running" | "passed" | "failed" | "error";

export type VerificationView = {
  id: string;
  trigger: "requested" | "scheduled";
  status: VerificationStatus;
  phase: string | null;
  totalEvents: number;
  checkedEvents: number;
  checkedCheckpoints: number;
  firstBadSequence: number | null;
  reason: string | null;
  message: string | null;
  sources: string[];
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
};

type VerificationRow = {
  id: string;
  portfolio_id: string | null;
  trigger: "requested" | "scheduled";
  status: VerificationStatus;
  phase: string | null;
  total_events: number;
  checked_events: number;
  checked_checkpoints: number;
  first_bad_sequence: bigint | null;
  reason: string | null;
  message: string | null;
  sources: string[] | null;
  requested_by_type: string;
  requested_by_id: string;
  attempts: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
};

const columns = `id, portfolio_id, trigger, status, phase, total_events, checked_events, checked_checkpoints,
  first_bad_sequence, reason, message, sources, requested_by_type, requested_by_id, attempts, created_at,
  started_at, finished_at`;

function toView(row: VerificationRow): VerificationView {
  return {
    id: row.id,
    trigger: row.trigger,
    status: row.status,
    phase: row.phase,
    totalEvents: row.total_events,
    checkedEvents: row.checked_events,
    checkedCheckpoints: row.checked_checkpoints,
    firstBadSequence: row.first_bad_sequence === null ? null : Number(row.first_bad_sequence),
    reason: row.reason,
    message: row.message,
    sources: row.sources ?? [],
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** Queues a full verification; the compliance worker picks it up within a second or so. */
export async function requestVerification(options: {
  db: Db;
  actor: EventActor;
  portfolioId: string;
}): Promise<VerificationView> {
  const [row] = await options.db.$queryRawUnsafe<VerificationRow[]>(
    `INSERT INTO audit_verifications (id, portfolio_id, trigger, status, requested_by_type, requested_by_id)
     VALUES ($1, $2, 'requested', 'queued', $3, $4) RETURNING ${columns}`,
    newId("verification"),
    options.portfolioId,
    options.actor.type,
    options.actor.id,
  );
  return toView(row!);
}

/** A run requested in this portfolio, or a scheduled one (those concern every portfolio). */
export async function getVerification(options: {
  db: Db;
  portfolioId: string;
  verificationId: string;
}): Promise<VerificationView> {
  const [row] = await options.db.$queryRawUnsafe<VerificationRow[]>(
    `SELECT ${columns} FROM audit_verifications WHERE id = $1 AND (portfolio_id = $2 OR portfolio_id IS NULL)`,
    options.verificationId,
    options.portfolioId,
  );
  if (!row) throw new AppError("NOT_FOUND", `Verification ${options.verificationId} not found`);
  return toView(row);
}

/** The most recent finished run visible in this portfolio, for the overview. */
export async function latestVerification(options: {
  db: Db;
  portfolioId: string;
}): Promise<VerificationView | null> {
  const [row] = await options.db.$queryRawUnsafe<VerificationRow[]>(
    `SELECT ${columns} FROM audit_verifications
      WHERE (portfolio_id = $1 OR portfolio_id IS NULL) AND status IN ('passed', 'failed', 'error')
      ORDER BY finished_at DESC LIMIT 1`,
    options.portfolioId,
  );
  return row ? toView(row) : null;
}

/** Queues a scheduled run when none was queued in the last `everySeconds` (one across processes). */
export async function scheduleVerificationIfDue(options: { db: Db; everySeconds: number }): Promise<boolean> {
  const inserted = await options.db.$executeRawUnsafe(
    `INSERT INTO audit_verifications (id, trigger, status, requested_by_type, requested_by_id)
     SELECT $1, 'scheduled', 'queued', 'worker', 'compliance'
      WHERE pg_try_advisory_xact_lock(7140301)
        AND NOT EXISTS (SELECT 1 FROM audit_verifications
                         WHERE trigger = 'scheduled' AND created_at > now() - make_interval(secs => $2))`,
    newId("verification"),
    options.everySeconds,
  );
  return inserted > 0;
}

/** Runs given up on after this many claims: a run that keeps crashing its worker is an error. */
const attemptsMax = 3;

/**
 * Claims the oldest queued run, or a running one whose worker stopped renewing its lease, and
 * runs it. Returns null when there was nothing to do.
 */
export async function runNextVerification(options: {
  db: Db;
  copies: CheckpointCopies[];
  keyringKeys?: AuditPublicKey[];
  leaseMs?: number;
  progressEveryMs?: number;
}): Promise<VerificationView | null> {
  const leaseMs = options.leaseMs ?? 60_000;
  const [job] = await options.db.$queryRawUnsafe<VerificationRow[]>(
    `UPDATE audit_verifications
        SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now()),
            lease_until = now() + make_interval(secs => $1), phase = 'chain'
      WHERE id = (SELECT id FROM audit_verifications
                   WHERE status = 'queued' OR (status = 'running' AND lease_until < now())
                   ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING ${columns}`,
    leaseMs / 1000,
  );
  if (!job) return null;
  if (job.attempts > attemptsMax) {
    return finish(
      options.db,
      job,
      null,
      `gave up after ${attemptsMax} attempts: the worker stopped each time`,
    );
  }
  const progressEveryMs = options.progressEveryMs ?? 250;
  let lastWrite = 0;
  let writing: Promise<unknown> = Promise.resolve();
  const onProgress = (progress: VerifyProgress) => {
    const now = Date.now();
    if (now - lastWrite < progressEveryMs) return;
    lastWrite = now;
    // Progress is best effort and ordered: one write at a time, never awaited by the walk.
    writing = writing.then(() =>
      options.db
        .$executeRawUnsafe(
          `UPDATE audit_verifications
              SET phase = $2, total_events = CASE WHEN $2 = 'chain' THEN $3 ELSE total_events END,
                  checked_events = CASE WHEN $2 = 'chain' THEN $4 ELSE checked_events END,
                  checked_checkpoints = CASE WHEN $2 = 'checkpoints' THEN $4 ELSE checked_checkpoints END,
                  lease_until = now() + make_interval(secs => $5)
            WHERE id = $1 AND status = 'running'`,
          job.id,
          progress.phase,
          progress.total,
          progress.checked,
          leaseMs / 1000,
        )
        .catch(() => {}),
    );
  };
  let result: AuditTrailResult;
  try {
    result = await verifyAuditTrail({
      db: options.db,
      copies: options.copies,
      keyringKeys: options.keyringKeys,
      onProgress,
    });
  } catch (error) {
    await writing;
    return finish(options.db, job, null, error instanceof Error ? error.message : String(error));
  }
  await writing;
  return finish(options.db, job, result, null);
}

async function finish(
  db: Db,
  job: VerificationRow,
  result: AuditTrailResult | null,
  error: string | null,
): Promise<VerificationView> {
  const actor: EventActor = { type: "worker", id: "compliance" };
  const ctx = { actor, correlationId: job.id };
  return withTransaction(db, async (tx) => {
    const status: VerificationStatus = result === null ? "error" : result.ok ? "passed" : "failed";
    const [row] = await tx.$queryRawUnsafe<VerificationRow[]>(
      `UPDATE audit_verifications
          SET status = $2, phase = NULL, checked_events = $3, total_events = GREATEST(total_events, $3),
              checked_checkpoints = $4, first_bad_sequence = $5, reason = $6, message = $7, sources = $8,
              finished_at = now(), lease_until = NULL
        WHERE id = $1 RETURNING ${columns}`,
      job.id,
      status,
      result?.checkedEvents ?? job.checked_events,
      result?.checkedCheckpoints ?? job.checked_checkpoints,
      result?.firstBadSequence ?? null,
      result === null ? "error" : (result.reason ?? null),
      error ?? result?.message ?? null,
      result?.sources ?? [],
    );
    if (result && !result.ok) {
      const where =
        result.firstBadSequence !== undefined
          ? `event sequence ${result.firstBadSequence}`
          : result.checkpointSequence !== undefined
            ? `checkpoint ${result.checkpointSequence}`
            : "the signing keys";
      await raiseFinding(tx, ctx, {
        severity: "critical",
        kind: "audit_trail_integrity",
        title: `Audit trail verification failed (${result.reason}) at ${where}`,
        detail: result.message ?? "",
        portfolioId: null,
      });
    }
    if (result === null) {
      // A verification that cannot finish is a control that is not working: someone must look.
      await raiseFinding(tx, ctx, {
        severity: "high",
        kind: "audit_trail_verification_error",
        title: "Audit trail verification could not complete",
        detail: error ?? "",
        owner: "admin",
        portfolioId: null,
      });
    }
    if (job.trigger === "requested" && result) {
      await appendEvents(tx, ctx, [
        {
          type: "compliance.audit_trail_verified",
          stream: { type: "audit_verification", id: job.id },
          expectedVersion: 0,
          portfolioId: job.portfolio_id,
          payload: {
            verificationId: job.id,
            ok: result.ok,
            checkedEvents: result.checkedEvents,
            checkedCheckpoints: result.checkedCheckpoints,
            firstBadSequence: result.firstBadSequence ?? null,
            reason: result.reason ?? null,
          },
        },
      ]);
    }
    return toView(row!);
  });
}
