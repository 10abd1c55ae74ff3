import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createTrpcContext, requestLane } from "@/server/trpc/context";
import { trpcResponseMeta } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";

export const dynamic = "force-dynamic";

function handler(request: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    createContext: () =>
      createTrpcContext({
        headers: request.headers,
        lane: requestLane(request.method, new URL(request.url).pathname),
      }),
    // Overload (a full connection queue) and unconfirmable dependencies answer 503: say when to retry.
    responseMeta: trpcResponseMeta,
  });
}

export { handler as GET, handler as POST };
