import { webRuntime } from "@/server/runtime";
import { checkHealth } from "@/server/shared/health";

export const dynamic = "force-dynamic";

export async function GET(request: Request) {
  // ?live=1 answers as soon as the web server runs, for process supervisors.
  if (new URL(request.url).searchParams.has("live")) return Response.json({ status: "live" });
  const { db, env } = webRuntime();
  const report = await checkHealth({
    db,
    natsUrl: env.NATS_URL,
    redisUrl: env.REDIS_URL,
    heartbeatMs: env.WORKER_HEARTBEAT_MS,
  });
  return Response.json(
    { status: report.ok ? "ok" : "unhealthy", ...report },
    { status: report.ok ? 200 : 503 },
  );
}
