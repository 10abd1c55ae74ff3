// Prometheus text metrics for the web process, plus per-worker figures read from heartbeats and
// the log's size and outbox backlog read from PostgreSQL at scrape time.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Db } from "./db";

const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: "venture_web_" });

export const httpRequests = new Counter({
  name: "venture_http_requests_total",
  help: "HTTP API requests by route and status",
  labelNames: ["route", "status"],
  registers: [registry],
});

/** Money intents per group commit (ADR 0020): 1 when the path was idle, more under load. */
export const intentGroupSize = new Histogram({
  name: "venture_intent_group_size",
  help: "Money intents written per transaction by the group commit",
  buckets: [1, 2, 4, 8, 16, 32],
  registers: [registry],
});

/** Groups whose transaction failed as a whole and whose intents were written again one by one. */
export const intentGroupsRetriedAlone = new Counter({
  name: "venture_intent_groups_retried_alone_total",
  help: "Group commits that failed as a whole, their intents then written one by one",
  registers: [registry],
});

/**
 * Transactions of money intents by the state their decisions were made on (ADR 0022): `remembered`
 * when decided on the state this process read before and found unchanged where they were written,
 * `changed` when that state no longer held (read again and decided again in the same transaction),
 * `read` when the state was read first.
 */
export const intentStateTransactions = new Counter({
  name: "venture_intent_state_transactions_total",
  help: "Money intent transactions by the state their decisions were made on",
  labelNames: ["state"],
  registers: [registry],
});

/** Money intent transactions so far in this process, by the state they were decided on. */
export async function intentStateTotals(): Promise<{ read: number; remembered: number; changed: number }> {
  const values = (await intentStateTransactions.get()).values;
  const count = (state: string) => values.find((v) => v.labels.state === state)?.value ?? 0;
  return { read: count("read"), remembered: count("remembered"), changed: count("changed") };
}

/** The group commit's totals so far in this process: groups, intents in them, groups retried. */
export async function intentGroupTotals(): Promise<{
  groups: number;
  intents: number;
  retriedAlone: number;
}> {
  const sizes = (await intentGroupSize.get()).values;
  const size = (name: string) => sizes.find((v) => v.metricName === name)?.value ?? 0;
  return {
    groups: size("venture_intent_group_size_count"),
    intents: size("venture_intent_group_size_sum"),
    retriedAlone: (await intentGroupsRetriedAlone.get()).values[0]?.value ?? 0,
  };
}

const eventsTotal = new Gauge({
  name: "venture_events_total",
  help: "Events in the log",
  registers: [registry],
});
const outboxBacklog = new Gauge({
  name: "venture_outbox_backlog",
  help: "Committed events not yet published to JetStream",
  registers: [registry],
});
const workerBeatAge = new Gauge({
  name: "venture_worker_heartbeat_age_seconds",
  help: "Seconds since the freshest heartbeat of each worker",
  labelNames: ["worker"],
  registers: [registry],
});
const workerCounter = new Gauge({
  name: "venture_worker_messages",
  help: "Messages by outcome, summed over a worker's live instances since they started",
  labelNames: ["worker", "outcome"],
  registers: [registry],
});

export async function renderMetrics(db: Db): Promise<{ body: string; contentType: string }> {
  const [head, backlog, beats] = await Promise.all([
    db.$queryRawUnsafe<Array<{ sequence: bigint }>>("SELECT sequence FROM chain_head WHERE id = 1"),
    db.$queryRawUnsafe<Array<{ n: bigint }>>("SELECT count(*) AS n FROM outbox"),
    db.$queryRawUnsafe<Array<{ worker: string; age_s: number; stats: Record<string, number> }>>(
      `SELECT worker, extract(epoch FROM now() - beat_at)::float8 AS age_s, stats
         FROM worker_heartbeats WHERE beat_at > now() - interval '1 minute'`,
    ),
  ]);
  eventsTotal.set(Number(head[0]?.sequence ?? 0));
  outboxBacklog.set(Number(backlog[0]?.n ?? 0));
  workerBeatAge.reset();
  workerCounter.reset();
  const freshest = new Map<string, number>();
  for (const beat of beats) {
    freshest.set(beat.worker, Math.min(freshest.get(beat.worker) ?? Number.POSITIVE_INFINITY, beat.age_s));
    for (const [outcome, value] of Object.entries(beat.stats ?? {})) {
      if (typeof value === "number") workerCounter.inc({ worker: beat.worker, outcome }, value);
    }
  }
  for (const [worker, age] of freshest) workerBeatAge.set({ worker }, age);
  return { body: await registry.metrics(), contentType: registry.contentType };
}
