// The fault suite's summary: what was broken, what ran, what it took to recover.
import type { Integrity } from "./integrity";
import type { DriverStats } from "./portfolio";

export type FaultSummary = {
  began: number;
  kills: Record<string, number>;
  restarts: Record<string, number>;
  /** Milliseconds from the end of each fault until the system worked again. */
  recoveriesMs: number[];
  deadLetters?: number;
  driver: DriverStats;
  integrity: Integrity;
};

function describeMs(values: number[]): string {
  if (values.length === 0) return "n/a";
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `median ${(median / 1000).toFixed(1)} s, max ${(sorted.at(-1)! / 1000).toFixed(1)} s`;
}

export function printSummary(title: string, s: FaultSummary): void {
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  const list = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
  const f = s.integrity.figures;
  const lines = [
    `faults (${title}) in ${((Date.now() - s.began) / 1000).toFixed(0)} s`,
    `  kills:     ${sum(s.kills)}${sum(s.kills) ? ` (${list(s.kills)})` : ""}`,
    `  restarts:  ${sum(s.restarts)}${sum(s.restarts) ? ` (${list(s.restarts)})` : ""}`,
    `  tasks:     ${f.tasks} in ${s.driver.workstreams} workstreams, ${f.modelCalls} metered model calls, ${f.holds} holds`,
    `  money:     ${f.intents} intents and allocations (${s.driver.approvals} approvals), ${f.allocationsSettled} allocations settled`,
    `  retries:   ${f.taskRetries} task attempts retried (${list(f.retriesByCause) || "none"}), ` +
      `${s.driver.clientRetries} client requests repeated, ` +
      `${f.holdsLeftToExpire} model-call holds left to expire${s.deadLetters !== undefined ? `, ${s.deadLetters} dead letters` : ""}`,
    `  recovery:  ${describeMs(s.recoveriesMs)} (${s.recoveriesMs.length} measured)`,
    `  events:    ${f.events}, chain ${s.integrity.problems.some((p) => p.startsWith("event chain")) ? "BROKEN" : "verified"}`,
    `  problems:  ${s.integrity.problems.length === 0 ? "none" : s.integrity.problems.join("\n             ")}`,
  ];
  console.info(lines.join("\n"));
}

const suiteStarted = Date.now();

/** A line of progress on stderr, with the seconds since the file started. */
export function progress(message: string): void {
  process.stderr.write(`[faults +${((Date.now() - suiteStarted) / 1000).toFixed(1)} s] ${message}\n`);
}
