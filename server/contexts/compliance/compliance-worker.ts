// The compliance jobs of the orchestrator process: a checkpoint loop (sign when due, keep the
// copies outside the database complete, rotate the key by age) and a job loop (scheduled and
// requested verifications, evidence-pack builds). They are not gated by the kill-switch: they
// neither dispatch work nor move money, and the audit trail must keep its checkpoints during a
// crisis most of all.
import fs from "node:fs";
import path from "node:path";
import type { Db } from "@/server/shared/db";
import type { Logger } from "@/server/shared/logger";
import type { NatsConnection } from "@/server/shared/nats";
import {
  type CheckpointCopies,
  checkpointFileName,
  directoryCopies,
  ensureCheckpointStream,
  jetStreamCopies,
} from "./checkpoint-copies";
import { runContinuousChecks } from "./continuous-checks";
import { buildNextEvidencePack } from "./evidence-packs";
import { AuditKeyring } from "./keyring";
import { applyRetention } from "./retention";
import { type ComplianceSettings, defaultComplianceSettings } from "./settings";
import {
  listCheckpoints,
  type SignCheckpointResult,
  signCheckpointIfDue,
  writeCopies,
} from "./sign-checkpoint";
import { rotateAuditKey, syncKeyring } from "./sync-keyring";
import { runNextVerification, scheduleVerificationIfDue } from "./verifications";

export type ComplianceWorkerServices = { db: Db; nc: NatsConnection; namespace: string; log: Logger };

export type ComplianceWorker = {
  stats: Record<string, number>;
  keyring: AuditKeyring;
  copies: CheckpointCopies[];
  stop(): Promise<void>;
};

/** How often each loop looks for work when idle. */
const checkpointTickMs = 1_000;
const jobTickMs = 1_000;
/** At start, the latest checkpoints whose directory copy is checked (and rewritten if missing). */
const reconcileLast = 100;

export async function startComplianceWorker(
  services: ComplianceWorkerServices,
  settings: ComplianceSettings,
): Promise<ComplianceWorker> {
  const { db, log } = services;
  const keyring = AuditKeyring.open(settings.keyDir);
  const synced = await syncKeyring({ db, keyring });
  if (synced.published.length > 0) log.info({ keys: synced.published }, "audit keys published");
  await ensureCheckpointStream(services.nc, services.namespace, settings.checkpointStreamDays);
  const directory = directoryCopies(settings.checkpointDir);
  const copies = [directory, jetStreamCopies(services.nc, services.namespace)];
  const stats = {
    checkpointsSigned: 0,
    checkpointCopyFailures: 0,
    verificationsRun: 0,
    verificationsFailed: 0,
    packsBuilt: 0,
    packsFailed: 0,
    findingsRaised: 0,
    subjectsErasedByRetention: 0,
  };
  const findingsEveryMs =
    (settings.findingsEverySeconds ?? defaultComplianceSettings.findingsEverySeconds) * 1_000;
  const retentionEveryMs =
    (settings.retentionEverySeconds ?? defaultComplianceSettings.retentionEverySeconds) * 1_000;
  let nextChecksAt = 0;
  let nextRetentionAt = 0;

  // Copies a previous run could not write (the row is committed first, so they may lag).
  let pendingCopies: SignCheckpointResult["failedCopies"] = [];
  const recent = await listCheckpoints({ db, limit: reconcileLast, newestFirst: true });
  const missing = recent.filter(
    (c) => !fs.existsSync(path.join(settings.checkpointDir, checkpointFileName(c.sequence))),
  );
  if (missing.length > 0) {
    log.warn(
      { checkpoints: missing.map((c) => c.sequence) },
      "rewriting checkpoint copies missing outside the database",
    );
    pendingCopies = await writeCopies(copies, missing);
  }

  let stopped = false;
  const sleepers = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      }
      sleepers.add(done);
    });

  const checkpointLoop = async () => {
    while (!stopped) {
      try {
        const active = keyring.activeKey();
        if (
          active &&
          Date.now() - Date.parse(active.published.validFrom) > settings.keyRotationDays * 86_400_000
        ) {
          const rotated = await rotateAuditKey({ db, keyring });
          log.info(rotated, "audit signing key rotated");
        }
        if (pendingCopies.length > 0) {
          const retry = pendingCopies;
          pendingCopies = [];
          for (const { copy, checkpoint } of retry) {
            pendingCopies.push(
              ...(await writeCopies(
                copies.filter((c) => c.name === copy),
                [checkpoint],
              )),
            );
          }
        }
        const result = await signCheckpointIfDue({
          db,
          keyring,
          copies,
          schedule: {
            everyEvents: settings.checkpointEveryEvents,
            everySeconds: settings.checkpointEverySeconds,
          },
        });
        if (result.checkpoint) stats.checkpointsSigned++;
        if (result.failedCopies.length > 0) {
          stats.checkpointCopyFailures += result.failedCopies.length;
          log.warn(
            {
              failures: result.failedCopies.map((f) => ({
                copy: f.copy,
                sequence: f.checkpoint.sequence,
                err: f.error,
              })),
            },
            "checkpoint copies failed: retrying",
          );
          pendingCopies.push(...result.failedCopies);
        }
      } catch (error) {
        log.error({ err: error instanceof Error ? error.message : String(error) }, "checkpoint round failed");
      }
      await sleep(checkpointTickMs);
    }
  };

  const jobLoop = async () => {
    while (!stopped) {
      let worked = false;
      try {
        await scheduleVerificationIfDue({ db, everySeconds: settings.verifyEverySeconds });
        const verification = await runNextVerification({ db, copies, keyringKeys: keyring.publicKeys() });
        if (verification) {
          worked = true;
          stats.verificationsRun++;
          if (verification.status !== "passed") {
            stats.verificationsFailed++;
            log.error(
              { verificationId: verification.id, reason: verification.reason, message: verification.message },
              "audit trail verification failed",
            );
          }
        }
        const pack = await buildNextEvidencePack({ db, keyring, copies, packDir: settings.packDir });
        if (pack) {
          worked = true;
          if (pack.status === "ready") stats.packsBuilt++;
          else {
            stats.packsFailed++;
            log.warn({ packId: pack.id, error: pack.error }, "evidence pack failed");
          }
        }
        // Continuous findings checks (COMPL-006) and retention (COMPL-005), each on its own period.
        if (Date.now() >= nextChecksAt) {
          nextChecksAt = Date.now() + findingsEveryMs;
          const checks = await runContinuousChecks({ db });
          stats.findingsRaised += checks.raised.length;
          if (checks.raised.length > 0) {
            log.warn(
              { findings: checks.raised.map((f) => f.dedupeKey) },
              "continuous checks raised findings",
            );
          }
        }
        if (
          settings.retention &&
          Object.keys(settings.retention).length > 0 &&
          Date.now() >= nextRetentionAt
        ) {
          nextRetentionAt = Date.now() + retentionEveryMs;
          const erased = (await applyRetention({ db, rules: settings.retention })).filter((e) => e.erased);
          stats.subjectsErasedByRetention += erased.length;
          if (erased.length > 0) log.info({ subjects: erased.length }, "personal data erased by retention");
        }
      } catch (error) {
        log.error(
          { err: error instanceof Error ? error.message : String(error) },
          "compliance job round failed",
        );
      }
      if (!worked) await sleep(jobTickMs);
    }
  };

  const running = Promise.all([checkpointLoop(), jobLoop()]);
  return {
    stats,
    keyring,
    copies,
    async stop() {
      stopped = true;
      for (const wake of [...sleepers]) wake();
      await running;
    },
  };
}
