import { z } from "zod";
import { loadEnv } from "@/server/shared/env";
import { checkHealth } from "@/server/shared/health";
import { signedInProcedure } from "@/server/trpc/init";

const check = z.object({ ok: z.boolean(), latencyMs: z.number(), detail: z.string().optional() });

export const healthProcedure = signedInProcedure
  .output(
    z.object({
      ok: z.boolean(),
      checks: z.object({ postgres: check, nats: check, redis: check }),
      workers: z.record(
        z.string(),
        z.object({ ok: z.boolean(), lastBeatAgeMs: z.number().nullable(), instances: z.number() }),
      ),
    }),
  )
  .query(({ ctx }) => {
    const env = loadEnv();
    return checkHealth({
      db: ctx.db,
      natsUrl: env.NATS_URL,
      redisUrl: env.REDIS_URL,
      heartbeatMs: env.WORKER_HEARTBEAT_MS,
    });
  });
