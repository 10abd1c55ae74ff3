// Group commit (docs/decisions/0020): requests that arrive while the database is busy with earlier
// ones are written together, in one transaction, instead of one transaction each. On this hot path
// a transaction's fixed costs — its round trips, the wakeups of client and server on each, the
// COMMIT's WAL flush — outweigh the work of one request, so sharing them is what lets the path keep
// up. Nothing waits to be grouped: a request that finds a free runner starts at once, alone; only
// requests arriving while every runner is busy queue, and a runner that comes free takes all of
// them (up to maxBatch) as its next group. Latency under light load is that of a single request;
// under heavy load, groups grow and the cost per request falls.
//
// What a group means is the caller's: `run` gets the requests of one group and answers each one,
// with a value or an error of its own. Requests with the same `key` never share a group.
import { AppError } from "./errors";

export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export type GroupCommitOptions<T, R> = {
  /** Writes one group; answers every request, in order. A throw fails the whole group. */
  run: (group: T[]) => Promise<Array<Settled<R>>>;
  /** Groups written at the same time, each on a connection of its own. */
  maxRunning: number;
  /** Requests in one group at most. */
  maxBatch: number;
  /** Requests waiting for a runner at most; one more is refused at once (UNAVAILABLE). */
  maxQueued: number;
  /** Requests with the same key go in different groups (an idempotency key, say). */
  key?: (request: T) => string;
  /** What the refusal of an overloaded queue says. */
  what: string;
};

type Waiting<T, R> = { request: T; resolve: (value: R) => void; reject: (error: unknown) => void };

export class GroupCommit<T, R> {
  private readonly queue: Array<Waiting<T, R>> = [];
  private running = 0;

  constructor(private readonly options: GroupCommitOptions<T, R>) {}

  submit(request: T): Promise<R> {
    if (this.queue.length >= this.options.maxQueued) {
      return Promise.reject(
        new AppError(
          "UNAVAILABLE",
          `The system is overloaded: ${this.queue.length} ${this.options.what} already wait to be written; retry shortly`,
        ),
      );
    }
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.pump();
    });
  }

  /** Requests waiting for a runner (for metrics and tests). */
  get queued(): number {
    return this.queue.length;
  }

  private pump(): void {
    while (this.running < this.options.maxRunning && this.queue.length > 0) {
      const group = this.takeGroup();
      this.running += 1;
      void this.write(group).finally(() => {
        this.running -= 1;
        this.pump();
      });
    }
  }

  /** The oldest requests, up to maxBatch, skipping (and leaving queued) repeats of a key. */
  private takeGroup(): Array<Waiting<T, R>> {
    const { key, maxBatch } = this.options;
    if (!key) return this.queue.splice(0, maxBatch);
    const group: Array<Waiting<T, R>> = [];
    const keys = new Set<string>();
    let i = 0;
    while (i < this.queue.length && group.length < maxBatch) {
      const k = key(this.queue[i]!.request);
      if (keys.has(k)) {
        i += 1;
        continue;
      }
      keys.add(k);
      group.push(this.queue.splice(i, 1)[0]!);
    }
    return group;
  }

  private async write(group: Array<Waiting<T, R>>): Promise<void> {
    let outcomes: Array<Settled<R>>;
    try {
      outcomes = await this.options.run(group.map((w) => w.request));
    } catch (error) {
      for (const waiting of group) waiting.reject(error);
      return;
    }
    group.forEach((waiting, i) => {
      const outcome = outcomes[i];
      if (!outcome) waiting.reject(new Error(`group commit: no answer for request ${i} of ${group.length}`));
      else if (outcome.ok) waiting.resolve(outcome.value);
      else waiting.reject(outcome.error);
    });
  }
}
