// Redis through ioredis. Redis holds only what can be rebuilt from PostgreSQL; keys carry the
// namespace prefix.
import { Redis } from "ioredis";

export type { Redis };

export function createRedis(url: string, namespace: string, options: { lazyConnect?: boolean } = {}): Redis {
  return new Redis(url, {
    keyPrefix: `${namespace}:`,
    lazyConnect: options.lazyConnect ?? false,
    // Fail fast instead of queueing commands while disconnected: callers on safety paths treat
    // an error as "state unknown" and fail closed.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}
