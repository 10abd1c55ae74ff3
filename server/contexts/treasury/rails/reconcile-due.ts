// Scheduled reconciliation (TREAS-009): every configured rail, every portfolio with activity on it,
// at most once per interval — the last `lookbackMs` up to a minute ago (a payout being recorded
// right now is not yet a break).
import type { Db } from "@/server/shared/db";
import type { CommandContext } from "@/server/shared/events/store";
import type { Logger } from "@/server/shared/logger";
import { runReconciliation } from "./run-reconciliation";
import type { Rails } from "./settings";

export const defaultLookbackMs = 7 * 86_400_000;
const settleMarginMs = 60_000;

export async function reconcileDuePortfolios(
  ctx: CommandContext & {
    db: Db;
    rails: Rails;
    everySeconds: number;
    lookbackMs?: number;
    /** Runs per call at most. */
    limit?: number;
    log?: Logger;
    now?: () => Date;
  },
): Promise<number> {
  let runs = 0;
  const now = ctx.now?.() ?? new Date();
  for (const rail of ctx.rails.configured()) {
    const due = await ctx.db.$queryRawUnsafe<Array<{ id: string }>>(
      `SELECT p.id FROM portfolios p
        WHERE (EXISTS (SELECT 1 FROM treasury_payouts t WHERE t.portfolio_id = p.id AND t.rail = $1)
               OR EXISTS (SELECT 1 FROM treasury_receipts r WHERE r.portfolio_id = p.id AND r.rail = $1)
               OR ($1 = 'sandbox' AND EXISTS (SELECT 1 FROM sandbox_rail_transactions s WHERE s.portfolio_id = p.id)))
          AND NOT EXISTS (SELECT 1 FROM treasury_reconciliations c
                           WHERE c.portfolio_id = p.id AND c.rail = $1 AND c.trigger = 'schedule'
                             AND c.started_at > now() - make_interval(secs => $2))
        ORDER BY p.id LIMIT $3`,
      rail,
      ctx.everySeconds,
      ctx.limit ?? 10,
    );
    for (const { id } of due) {
      const to = new Date(now.getTime() - settleMarginMs);
      const run = await runReconciliation({
        ...ctx,
        portfolioId: id,
        rail,
        from: new Date(to.getTime() - (ctx.lookbackMs ?? defaultLookbackMs)),
        to,
        trigger: "schedule",
        requestedBy: ctx.actor.id,
      });
      runs++;
      if (run.status !== "balanced") {
        ctx.log?.warn(
          { portfolioId: id, rail, runId: run.id, status: run.status },
          "reconciliation found breaks",
        );
      }
    }
  }
  return runs;
}
