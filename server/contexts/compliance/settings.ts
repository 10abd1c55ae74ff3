// Compliance settings, derived from the parsed environment once by the process that runs the
// compliance jobs and handed to use-cases (nothing here reads process.env). Directories that
// are not set on their own sit beside the signing keys under .data/.
import path from "node:path";
import type { Env } from "@/server/shared/env";
import { parseRetentionRules, type RetentionRules } from "./retention";

export type ComplianceSettings = {
  /** Private signing keys and keyring.json. */
  keyDir: string;
  /** One JSON file per signed checkpoint: the copy outside the database that JetStream also keeps. */
  checkpointDir: string;
  /** Finished evidence packs, and their build folders while building. */
  packDir: string;
  /** Sign a checkpoint once this many events were sealed since the last one… */
  checkpointEveryEvents: number;
  /** …or once this much time has passed and the head moved, whichever comes first. */
  checkpointEverySeconds: number;
  /** The scheduled full verification (a failure becomes a critical finding). */
  verifyEverySeconds: number;
  /** Rotate the signing key when it is older than this. */
  keyRotationDays: number;
  /** Retention of the JetStream copy of checkpoints. */
  checkpointStreamDays: number;
  /** Personal data kept per subject type, in days after the subject's last activity (COMPL-005). */
  retention?: RetentionRules;
  /** How often the retention job looks for subjects past their retention. */
  retentionEverySeconds?: number;
  /** How often the continuous findings checks run (COMPL-006). */
  findingsEverySeconds?: number;
};

export const defaultComplianceSettings = {
  checkpointEveryEvents: 1_000,
  checkpointEverySeconds: 60,
  verifyEverySeconds: 3_600,
  keyRotationDays: 90,
  checkpointStreamDays: 400,
  retentionEverySeconds: 3_600,
  findingsEverySeconds: 60,
} as const;

export function complianceSettings(
  env: Pick<Env, "AUDIT_SIGNING_KEY_PATH"> & Partial<Pick<Env, "PII_RETENTION_DAYS">>,
): ComplianceSettings {
  const keyDir = path.resolve(env.AUDIT_SIGNING_KEY_PATH);
  const dataDir = path.dirname(keyDir);
  return {
    keyDir,
    checkpointDir: path.join(dataDir, "checkpoints"),
    packDir: path.join(dataDir, "packs"),
    ...defaultComplianceSettings,
    retention: parseRetentionRules(env.PII_RETENTION_DAYS ?? ""),
  };
}
