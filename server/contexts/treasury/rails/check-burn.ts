// The burn check (TREAS-007): after payouts of a venture settle, compare what it spent in the
// latest window with its usual spend before that, per currency, and freeze it on a spike.
import { type Db, withTransaction } from "@/server/shared/db";
import type { CommandContext } from "@/server/shared/events/store";
import { burnBaselineWindows, burnSpike } from "./anomaly-rules";
import { freezeOnAnomaly } from "./auto-freeze";
import type { BurnSettings } from "./settings";

export async function checkBurn(
  ctx: CommandContext & { db: Db },
  options: { settings: BurnSettings; ventureId: string },
): Promise<{ spike: string | null; frozen: boolean }> {
  return withTransaction(ctx.db, async (tx) => {
    const rows = await tx.$queryRawUnsafe<
      Array<{ portfolio_id: string; currency: string; recent: bigint; baseline: bigint }>
    >(
      `SELECT portfolio_id, currency,
              coalesce(sum(amount_minor) FILTER (WHERE settled_at > now() - make_interval(secs => $2)), 0)::bigint AS recent,
              coalesce(sum(amount_minor) FILTER (WHERE settled_at <= now() - make_interval(secs => $2)), 0)::bigint AS baseline
         FROM treasury_payouts
        WHERE venture_id = $1 AND status = 'settled'
          AND settled_at > now() - make_interval(secs => $2 * $3)
        GROUP BY portfolio_id, currency`,
      options.ventureId,
      options.settings.windowSeconds,
      burnBaselineWindows + 1,
    );
    for (const row of rows) {
      const spike = burnSpike(options.settings, {
        currency: row.currency,
        recentMinor: row.recent,
        baselineMinor: row.baseline,
      });
      if (!spike) continue;
      const result = await freezeOnAnomaly(tx, ctx, {
        kind: "burn_spike",
        portfolioId: row.portfolio_id,
        ventureId: options.ventureId,
        title: `Burn spike on venture ${options.ventureId}`,
        detail: spike,
        severity: "high",
      });
      return { spike, frozen: result.frozen };
    }
    return { spike: null, frozen: false };
  });
}
