// Downloads an evidence pack for the signed-in auditor (session cookie). The HTTP API's download
// route takes API tokens only; this one serves the browser through the same tRPC procedure.
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { createTrpcContext } from "@/server/trpc/context";
import { fileResponse } from "@/server/trpc/http-api";
import { createCaller } from "@/server/trpc/root";

export const dynamic = "force-dynamic";

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const portfolioId = new URL(request.url).searchParams.get("portfolioId") ?? "";
  const ctx = await createTrpcContext({ headers: request.headers });
  try {
    const file = await createCaller(ctx).compliance.evidencePackFile({ portfolioId, packId: id });
    return fileResponse(file, ctx.correlationId);
  } catch (error) {
    if (error instanceof TRPCError) {
      return new Response(error.message, {
        status: getHTTPStatusCodeFromError(error),
        headers: { "content-type": "text/plain" },
      });
    }
    throw error;
  }
}
