// Downloads a treasury report as CSV for the signed-in person (session cookie), through the same
// tRPC procedure as the HTTP API's /api/v1/treasury/reports/{report}/csv (which takes API tokens).
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { createTrpcContext } from "@/server/trpc/context";
import { textResponse } from "@/server/trpc/http-api";
import { createCaller } from "@/server/trpc/root";

export const dynamic = "force-dynamic";

export async function GET(request: Request, { params }: { params: Promise<{ report: string }> }) {
  const { report } = await params;
  const query = new URL(request.url).searchParams;
  const optional = (name: string) => (query.get(name) ? { [name]: query.get(name)! } : {});
  const ctx = await createTrpcContext({ headers: request.headers });
  try {
    const file = await createCaller(ctx).treasury.reportCsv({
      portfolioId: query.get("portfolioId") ?? "",
      report: report as "pnl",
      ...optional("ventureId"),
      ...optional("from"),
      ...optional("to"),
      ...(query.get("windowDays") ? { windowDays: Number(query.get("windowDays")) } : {}),
    });
    return textResponse(file, file.contentType, ctx.correlationId);
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
