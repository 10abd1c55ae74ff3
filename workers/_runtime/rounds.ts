// A worker's periodic loop: rounds of work, a pause between them that a wake-up cuts short, and a
// stop that waits for the round in progress. Used where a loop has nothing durable to listen on
// (the treasury's and the playbooks' jobs); the queue or table each round reads is the record, a
// wake-up only a hint.

export type Rounds = {
  /** Starts the next round now, or as soon as the current one ends. */
  wake(): void;
  /** Stops after the round in progress. */
  stop(): Promise<void>;
};

/**
 * Runs `round` until stopped. After each round it waits `waitMs()` milliseconds (0: straight on),
 * or less if woken; a wake-up that arrives during a round is kept, so the next starts at once. A
 * round that throws goes to `onError`, and the loop carries on.
 */
export function runRounds(options: {
  round(): Promise<void>;
  waitMs(): number;
  onError(error: unknown): void;
}): Rounds {
  let stopped = false;
  let pending = false;
  let interrupt: (() => void) | null = null;
  const running = (async () => {
    while (!stopped) {
      pending = false;
      try {
        await options.round();
      } catch (error) {
        options.onError(error);
      }
      if (stopped) break;
      const ms = pending ? 0 : options.waitMs();
      if (ms > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          interrupt = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        interrupt = null;
      }
    }
  })();
  return {
    wake() {
      pending = true;
      interrupt?.();
    },
    async stop() {
      stopped = true;
      interrupt?.();
      await running;
    },
  };
}
