// A LISTEN connection that outlives PostgreSQL restarts. The outbox relay (ADR 0006) and the
// scheduler (ADR 0009) are woken through one each; LISTEN needs a dedicated connection, which a pool
// cannot hold. When the server ends the session (a restart, a failover, pg_terminate_backend), the
// listener reconnects with backoff and, once it listens again, calls onNotify: notifications sent
// while it was away are lost, so whoever listens looks for work at that moment. Without this, a
// worker fell back to its poll interval for good after the first restart (found by the fault suite,
// test/faults/service-restarts.faults.test.ts).
import pg from "pg";
import { poolConfigFromUrl } from "@/server/shared/database-url";
import type { Logger } from "@/server/shared/logger";

export type PgListener = { stop(): Promise<void> };

export async function listenForNotifications(options: {
  databaseUrl: string;
  /** A plain identifier (it is sent as `LISTEN <channel>`). */
  channel: string;
  onNotify: () => void;
  log: Logger;
  /** First wait before reconnecting; doubled after each failed attempt, up to retryMaxMs. */
  retryMs?: number;
  retryMaxMs?: number;
}): Promise<PgListener> {
  const { channel, log } = options;
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`Invalid LISTEN channel ${channel}`);
  const retryMs = options.retryMs ?? 250;
  const retryMaxMs = options.retryMaxMs ?? 5_000;
  let stopped = false;
  let current: pg.Client | null = null;

  const open = async (): Promise<void> => {
    const client = new pg.Client(poolConfigFromUrl(options.databaseUrl));
    client.on("notification", () => options.onNotify());
    // Both fire when the server goes away ('error' first, usually); only the live connection counts.
    client.on("error", (error) => lose(client, error.message));
    client.on("end", () => lose(client, "connection ended"));
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    if (stopped) await client.end().catch(() => {});
    else current = client;
  };

  const lose = (client: pg.Client, reason: string) => {
    if (client !== current || stopped) return;
    current = null;
    log.warn({ channel, err: reason }, "listener lost its connection: reconnecting");
    void client.end().catch(() => {});
    void reconnect();
  };

  const reconnect = async () => {
    for (let delay = retryMs; !stopped; delay = Math.min(delay * 2, retryMaxMs)) {
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      if (stopped) return;
      try {
        await open();
        log.info({ channel }, "listening again");
        options.onNotify();
        return;
      } catch (error) {
        log.warn(
          { channel, err: String(error), retryInMs: Math.min(delay * 2, retryMaxMs) },
          "listener could not reconnect yet",
        );
      }
    }
  };

  // The first connection fails start-up as before: a worker that cannot reach its database at all
  // should say so at once.
  await open();
  return {
    async stop() {
      stopped = true;
      await current?.end().catch(() => {});
      current = null;
    },
  };
}
