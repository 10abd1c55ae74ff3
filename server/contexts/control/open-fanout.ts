// The fan-out for processes that change the state but hold no worker connections: the web process
// (tRPC, HTTP API) and the CLI. Connects lazily on the first announcement and again after a
// failure, within short timeouts: the change is already committed, and a missed announcement only
// means gates notice at their next lease renewal.
import { connectNats, type NatsConnection } from "@/server/shared/nats";
import { createRedis, type Redis } from "@/server/shared/redis";
import { type ControlFanout, createControlFanout } from "./fanout";

const connectTimeoutMs = 2_000;

function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function ready(redis: Redis): Promise<Redis | null> {
  if (redis.status === "ready") return redis;
  try {
    if (redis.status === "wait" || redis.status === "end")
      await timeout(redis.connect(), connectTimeoutMs, "Redis");
    else
      await timeout(
        new Promise<void>((resolve) => redis.once("ready", () => resolve())),
        connectTimeoutMs,
        "Redis",
      );
    return redis;
  } catch {
    return null;
  }
}

export type OpenedControlFanout = ControlFanout & { close(): Promise<void> };

export function openControlFanout(options: {
  natsUrl: string;
  redisUrl: string;
  namespace: string;
  clientName: string;
  onError?: (channel: "nats" | "redis", error: unknown) => void;
}): OpenedControlFanout {
  let nc: NatsConnection | null = null;
  let connecting: Promise<NatsConnection | null> | null = null;
  const redis = createRedis(options.redisUrl, options.namespace, { lazyConnect: true });
  // Errors surface through announce()'s report; ioredis would otherwise print them unhandled.
  redis.on("error", () => {});

  const nats = (): Promise<NatsConnection | null> => {
    if (nc && !nc.isClosed()) return Promise.resolve(nc);
    connecting ??= timeout(connectNats(options.natsUrl, options.clientName), connectTimeoutMs, "NATS connect")
      .then((connection) => {
        nc = connection;
        return connection;
      })
      .catch((error: unknown) => {
        options.onError?.("nats", error);
        return null;
      })
      .finally(() => {
        connecting = null;
      });
    return connecting;
  };

  return {
    async announce(announcement) {
      const [connection, client] = await Promise.all([nats(), ready(redis)]);
      return createControlFanout({
        namespace: options.namespace,
        nc: connection,
        redis: client,
        onError: options.onError,
      }).announce(announcement);
    },
    async close() {
      await nc?.close().catch(() => {});
      redis.disconnect();
    },
  };
}
