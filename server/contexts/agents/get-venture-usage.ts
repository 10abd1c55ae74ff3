import type { Db } from "@/server/shared/db";

export type VentureUsage = {
  costMinor: bigint;
  heldMinor: bigint;
  inputTokens: number;
  outputTokens: number;
  modelCalls: number;
  refusedCalls: number;
  toolCalls: number;
  deniedToolCalls: number;
};

/**
 * Tokens and spend of a venture's agents (AGENT-004 "per call/task/venture"). Posted costs come from
 * the metered calls; the treasury ledger holds the same amounts in the venture's expense accounts,
 * and ORCH-001's KPIs (revenue, burn, runway) are read from there when the ledger publishes them.
 */
export async function getVentureUsage(options: { db: Db; ventureId: string }): Promise<VentureUsage> {
  const [models] = await options.db.$queryRawUnsafe<
    Array<{ cost: bigint; held: bigint; input: number; output: number; calls: number; refused: number }>
  >(
    `SELECT coalesce(sum(cost_minor), 0)::bigint AS cost,
            coalesce(sum(max_cost_minor) FILTER (WHERE status = 'held'), 0)::bigint AS held,
            coalesce(sum(input_tokens), 0)::int AS input, coalesce(sum(output_tokens), 0)::int AS output,
            count(*) FILTER (WHERE status <> 'refused')::int AS calls, count(*) FILTER (WHERE status = 'refused')::int AS refused
       FROM agent_model_calls WHERE venture_id = $1`,
    options.ventureId,
  );
  const [tools] = await options.db.$queryRawUnsafe<Array<{ cost: bigint; calls: number; denied: number }>>(
    `SELECT coalesce(sum(cost_minor), 0)::bigint AS cost, count(*)::int AS calls,
            count(*) FILTER (WHERE outcome = 'denied')::int AS denied
       FROM agent_tool_calls WHERE venture_id = $1`,
    options.ventureId,
  );
  return {
    costMinor: (models?.cost ?? 0n) + (tools?.cost ?? 0n),
    heldMinor: models?.held ?? 0n,
    inputTokens: models?.input ?? 0,
    outputTokens: models?.output ?? 0,
    modelCalls: models?.calls ?? 0,
    refusedCalls: models?.refused ?? 0,
    toolCalls: tools?.calls ?? 0,
    deniedToolCalls: tools?.denied ?? 0,
  };
}
