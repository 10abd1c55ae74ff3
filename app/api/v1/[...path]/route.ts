import { webRuntime } from "@/server/runtime";
import { createTrpcContext, requestLane } from "@/server/trpc/context";
import { handleHttpApi, httpErrorResponse } from "@/server/trpc/http-api";

export const dynamic = "force-dynamic";

async function handler(request: Request, { params }: { params: Promise<{ path: string[] }> }) {
  const { path } = await params;
  // The HTTP API authenticates with API tokens only; cookies do not authorize it (no CSRF surface).
  let ctx: Awaited<ReturnType<typeof createTrpcContext>>;
  try {
    ctx = await createTrpcContext({
      headers: request.headers,
      allowSession: false,
      lane: requestLane(request.method, new URL(request.url).pathname),
    });
  } catch (error) {
    // The token check itself can meet an overloaded database: 503 with Retry-After.
    return httpErrorResponse(error, webRuntime().log);
  }
  return handleHttpApi(request, `/${path.join("/")}`, ctx);
}

export { handler as GET, handler as POST, handler as PUT, handler as PATCH, handler as DELETE };
