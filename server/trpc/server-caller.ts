// The tRPC caller for React server components: the same procedures the browser calls.
import "server-only";
import { headers } from "next/headers";
import { createTrpcContext } from "./context";
import { createCaller } from "./root";

export async function serverCaller() {
  return createCaller(await createTrpcContext({ headers: await headers() }));
}
