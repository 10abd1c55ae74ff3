// What the auditor pages show first: the chain head, the last signed checkpoint, the keys, the
// last finished verification and the open findings.
import type { Db } from "@/server/shared/db";
import { chainHead } from "@/server/shared/events/store";
import { listCheckpoints } from "./sign-checkpoint";
import type { SignedCheckpoint } from "./signing";
import { listAuditKeys } from "./sync-keyring";
import { latestVerification, type VerificationView } from "./verifications";

export type AuditOverview = {
  head: { sequence: number; hash: string };
  lastCheckpoint: SignedCheckpoint | null;
  checkpoints: number;
  keys: number;
  activeKeyId: string | null;
  lastVerification: VerificationView | null;
  openFindings: number;
};

export async function auditOverview(options: { db: Db; portfolioId: string }): Promise<AuditOverview> {
  const { db, portfolioId } = options;
  const [head, [lastCheckpoint], keys, lastVerification, counts] = await Promise.all([
    chainHead(db),
    listCheckpoints({ db, limit: 1, newestFirst: true }),
    listAuditKeys({ db }),
    latestVerification({ db, portfolioId }),
    db.$queryRawUnsafe<Array<{ checkpoints: bigint; findings: bigint }>>(
      `SELECT (SELECT count(*) FROM audit_checkpoints) AS checkpoints,
              (SELECT count(*) FROM findings WHERE status = 'open' AND (portfolio_id = $1 OR portfolio_id IS NULL)) AS findings`,
      portfolioId,
    ),
  ]);
  return {
    head,
    lastCheckpoint: lastCheckpoint ?? null,
    checkpoints: Number(counts[0]?.checkpoints ?? 0),
    keys: keys.length,
    activeKeyId: keys.filter((key) => key.validTo === null).at(-1)?.keyId ?? null,
    lastVerification,
    openFindings: Number(counts[0]?.findings ?? 0),
  };
}
