// Builds the tRPC context for a web request: an API token (Authorization: Bearer vt_…) or the
// next-auth session cookie. Kept apart from init.ts so tests can build contexts without next-auth.

import { authenticateApiToken } from "@/server/contexts/identity/api-tokens";
import { loadPrincipal, type Principal } from "@/server/contexts/identity/principal";
import { type WebRuntime, webRuntime } from "@/server/runtime";
import { appErrorOf } from "@/server/shared/db";
import { newId } from "@/server/shared/ids";
import { type TrpcContext, toTrpcError } from "./init";
import type { RequestLane } from "./request-lane";

export { requestLane } from "./request-lane";

const correlationPattern = /^[A-Za-z0-9_-]{8,64}$/;

export async function createTrpcContext(options: {
  headers: Headers;
  allowSession?: boolean;
  lane?: RequestLane;
  /** The process's connections (webRuntime() unless a test hands its own). */
  runtime?: Pick<WebRuntime, "db" | "controlDb" | "readDb" | "log">;
}): Promise<TrpcContext> {
  const runtime = options.runtime ?? webRuntime();
  const db =
    options.lane === "control" ? runtime.controlDb : options.lane === "read" ? runtime.readDb : runtime.db;
  const { log } = runtime;
  const incoming = options.headers.get("x-correlation-id");
  const correlationId = incoming && correlationPattern.test(incoming) ? incoming : newId("correlation");
  let principal: Principal | null = null;
  let credentialsRejected = false;
  const authorization = options.headers.get("authorization");
  try {
    if (authorization) {
      const token = authorization.replace(/^Bearer\s+/i, "");
      principal = await authenticateApiToken({ db, token });
      credentialsRejected = principal === null;
    } else if (options.allowSession !== false) {
      // Loaded when a session is looked at: API-token requests (and tests) never load next-auth.
      const { auth } = await import("@/server/auth");
      const session = await auth();
      if (session?.user?.id) principal = await loadPrincipal(db, session.user.id);
    }
  } catch (error) {
    // An overloaded database answers the sign-in check too: 503, not an internal error.
    const appError = appErrorOf(error);
    throw appError ? toTrpcError(appError) : error;
  }
  return { db, log: log.child({ correlationId }), principal, credentialsRejected, correlationId };
}
