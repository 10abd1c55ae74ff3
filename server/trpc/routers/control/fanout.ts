// The web process's kill-switch fan-out: one per process, connected on first use.
import { type ControlFanout, openControlFanout } from "@/server/contexts/control/api";
import { loadEnv } from "@/server/shared/env";

const holder = globalThis as unknown as { ventureControlFanout?: ControlFanout };

export function webControlFanout(): ControlFanout {
  if (holder.ventureControlFanout) return holder.ventureControlFanout;
  const env = loadEnv();
  holder.ventureControlFanout = openControlFanout({
    natsUrl: env.NATS_URL,
    redisUrl: env.REDIS_URL,
    namespace: env.VENTURE_NAMESPACE,
    clientName: `${env.VENTURE_NAMESPACE}:web:control`,
  });
  return holder.ventureControlFanout;
}
