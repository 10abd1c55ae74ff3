// A circuit breaker per provider and model (ARTIF-003), in the memory of one worker process:
// closed → open after `failureThreshold` failures in a row (calls are skipped, the chain moves on
// at once) → half-open after `cooldownMs` (one trial call) → closed on success, open again on
// failure. Per process on purpose: each compiler learns what it sees, and a restart starts closed.
import { type Clock, systemClock } from "@/server/shared/clock";

export type BreakerState = "closed" | "open" | "half_open";

export type BreakerOptions = { failureThreshold?: number; cooldownMs?: number; clock?: Clock };

type Entry = { failures: number; openedAt: number | null; trial: boolean };

export class CircuitBreakers {
  private readonly entries = new Map<string, Entry>();
  private readonly threshold: number;
  private readonly cooldownMs: number;
  private readonly clock: Clock;

  constructor(options: BreakerOptions = {}) {
    this.threshold = options.failureThreshold ?? 3;
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.clock = options.clock ?? systemClock;
  }

  state(key: string): BreakerState {
    const entry = this.entries.get(key);
    if (!entry || entry.openedAt === null) return "closed";
    return this.clock.now().getTime() - entry.openedAt >= this.cooldownMs ? "half_open" : "open";
  }

  /** Whether a call may go out now; in half-open only one trial at a time. */
  tryPass(key: string): boolean {
    const state = this.state(key);
    if (state === "closed") return true;
    if (state === "open") return false;
    const entry = this.entries.get(key)!;
    if (entry.trial) return false;
    entry.trial = true;
    return true;
  }

  success(key: string): void {
    this.entries.delete(key);
  }

  failure(key: string): void {
    const entry = this.entries.get(key) ?? { failures: 0, openedAt: null, trial: false };
    entry.failures += 1;
    entry.trial = false;
    if (entry.openedAt !== null || entry.failures >= this.threshold)
      entry.openedAt = this.clock.now().getTime();
    this.entries.set(key, entry);
  }

  snapshot(): Record<string, BreakerState> {
    return Object.fromEntries([...this.entries.keys()].map((key) => [key, this.state(key)]));
  }
}
