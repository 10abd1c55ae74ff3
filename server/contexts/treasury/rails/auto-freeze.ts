// What an anomaly does (TREAS-007), in the caller's transaction: a finding for the finance
// controllers, an automatic freeze of the venture (or of the whole portfolio when the anomaly
// belongs to no venture), and treasury.anomaly_detected tying them together. A treasury that is
// already frozen is left alone: one anomaly episode, one finding, however often the check runs.
import { raiseFinding } from "@/server/contexts/compliance/findings";
import type { Tx } from "@/server/shared/db";
import type { FindingSeverity } from "@/server/shared/events/catalog/compliance";
import type { treasuryAnomalyKinds } from "@/server/shared/events/catalog/treasury-rails";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents, type CommandContext } from "@/server/shared/events/store";
import { freezesFor, freezeTreasuryAutomatically } from "../intents/api";

export type AnomalyKind = (typeof treasuryAnomalyKinds)[number];

/** The machine actor of automatic freezes. */
export const anomalyActor: EventActor & { type: "system" } = { type: "system", id: "treasury-anomaly-guard" };

export async function freezeOnAnomaly(
  tx: Tx,
  ctx: CommandContext,
  anomaly: {
    kind: AnomalyKind;
    portfolioId: string;
    ventureId: string | null;
    title: string;
    detail: string;
    severity: FindingSeverity;
    /** false: record the finding and event, do not freeze. */
    freeze?: boolean;
  },
): Promise<{ findingId: string; frozen: boolean; alreadyFrozen: boolean }> {
  const shouldFreeze = anomaly.freeze ?? true;
  // Two checks seeing one spike at once: the second waits here, then finds the freeze.
  await tx.$queryRawUnsafe(
    "SELECT pg_advisory_xact_lock(hashtextextended($1, 13))",
    `treasury-anomaly:${anomaly.portfolioId}:${anomaly.ventureId ?? ""}`,
  );
  if (shouldFreeze) {
    const current = anomaly.ventureId
      ? await freezesFor(tx, anomaly.portfolioId, anomaly.ventureId)
      : await tx.treasuryFreeze.findMany({ where: { portfolioId: anomaly.portfolioId, ventureId: null } });
    if (current.length > 0) return { findingId: "", frozen: false, alreadyFrozen: true };
  }
  const machine = { ...ctx, actor: anomalyActor };
  const { findingId } = await raiseFinding(tx, machine, {
    severity: anomaly.severity,
    kind: `treasury.${anomaly.kind}`,
    title: anomaly.title,
    detail: anomaly.detail,
    owner: "finance_controller",
    portfolioId: anomaly.portfolioId,
    // One finding per episode: the check runs only while the treasury is not frozen already.
    dedupeKey: `treasury.${anomaly.kind}:${anomaly.ventureId ?? anomaly.portfolioId}:${Date.now()}`,
  });
  if (shouldFreeze) {
    await freezeTreasuryAutomatically(tx, machine, {
      portfolioId: anomaly.portfolioId,
      ventureId: anomaly.ventureId,
      reason: `Automatic freeze (${anomaly.kind.replace("_", " ")}): ${anomaly.title}`,
    });
  }
  await appendEvents(tx, machine, [
    {
      type: "treasury.anomaly_detected",
      // One stream per episode: an open finding may see a second episode after an unfreeze.
      stream: { type: "treasury_anomaly", id: `${findingId}@${Date.now()}` },
      expectedVersion: 0,
      portfolioId: anomaly.portfolioId,
      payload: {
        portfolioId: anomaly.portfolioId,
        ventureId: anomaly.ventureId,
        kind: anomaly.kind,
        detail: anomaly.detail,
        findingId,
        frozen: shouldFreeze,
      },
    },
  ]);
  return { findingId, frozen: shouldFreeze, alreadyFrozen: false };
}
