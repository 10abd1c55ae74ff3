// The tRPC caller for React server components: the same procedures the browser calls.
import "server-only";
import { headers } from "next/headers";
import { createTrpcContext } from "./context";
import { createCaller } from "./root";

export async function serverCaller() {
  // Server components only read: they render on the read lane (server/trpc/request-lane.ts).
  return createCaller(await createTrpcContext({ headers: await headers(), lane: "read" }));
}
