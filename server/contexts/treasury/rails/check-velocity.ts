// The velocity check (TREAS-007): after a venture asks for money, count what it asked for in the
// window (every intent, denied ones included: a burst of refused requests is a burst all the same)
// and freeze the venture on a spike. Runs in the anomaly consumer's transaction.
import type { Tx } from "@/server/shared/db";
import type { CommandContext } from "@/server/shared/events/store";
import { velocitySpike, type WindowActivity } from "./anomaly-rules";
import { freezeOnAnomaly } from "./auto-freeze";
import type { VelocitySettings } from "./settings";

export async function checkVelocity(
  tx: Tx,
  ctx: CommandContext,
  options: { settings: VelocitySettings; portfolioId: string; ventureId: string },
): Promise<{ spike: string | null; frozen: boolean }> {
  const rows = await tx.$queryRawUnsafe<Array<{ currency: string; n: number; amount: bigint }>>(
    `SELECT currency, count(*)::int AS n, coalesce(sum(amount_minor), 0)::bigint AS amount
       FROM money_intents
      WHERE venture_id = $1 AND created_at > now() - make_interval(secs => $2)
      GROUP BY currency`,
    options.ventureId,
    options.settings.windowSeconds,
  );
  const activity: WindowActivity[] = rows.map((r) => ({
    currency: r.currency,
    count: r.n,
    amountMinor: r.amount,
  }));
  const spike = velocitySpike(options.settings, activity);
  if (!spike) return { spike: null, frozen: false };
  const result = await freezeOnAnomaly(tx, ctx, {
    kind: "velocity_spike",
    portfolioId: options.portfolioId,
    ventureId: options.ventureId,
    title: `Velocity spike on venture ${options.ventureId}`,
    detail: spike,
    severity: "high",
  });
  return { spike, frozen: result.frozen };
}
