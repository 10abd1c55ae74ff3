import { webRuntime } from "@/server/runtime";
import { renderMetrics } from "@/server/shared/metrics";

export const dynamic = "force-dynamic";

export async function GET() {
  const { body, contentType } = await renderMetrics(webRuntime().db);
  return new Response(body, { headers: { "content-type": contentType } });
}
