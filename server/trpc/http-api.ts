// The documented HTTP API (/api/v1). Each route is a thin adapter over a tRPC procedure called
// through a server-side caller, so validation, authorization and use-cases are the same as in the
// UI. The same table generates /api/openapi.json.

import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { z } from "zod";
import { AppError } from "@/server/shared/errors";
import { type TrpcContext, zodFields } from "./init";
import { createCaller } from "./root";
import { createVentureInput } from "./routers/orchestration/create-venture";
import { ventureOutput } from "./routers/orchestration/venture-output";

type Caller = ReturnType<typeof createCaller>;

export type HttpRoute = {
  method: "GET" | "POST";
  /** OpenAPI-style path below /api/v1, e.g. /ventures/{id}. */
  path: string;
  summary: string;
  tag: string;
  /** Request body schema (POST) or query schema (GET), for the document. */
  body?: z.ZodType;
  query?: z.ZodType;
  output: z.ZodType;
  successStatus: 200 | 201;
  call(
    caller: Caller,
    request: { params: Record<string, string>; body: unknown; query: URLSearchParams },
  ): Promise<unknown>;
};

export const httpRoutes: HttpRoute[] = [
  {
    method: "POST",
    path: "/ventures",
    summary: "Create a venture in a portfolio (founder or admin). The orchestrator then provisions it.",
    tag: "ventures",
    body: createVentureInput,
    output: ventureOutput,
    successStatus: 201,
    call: (caller, { body }) =>
      caller.orchestration.createVenture(body as z.infer<typeof createVentureInput>),
  },
  {
    method: "GET",
    path: "/ventures",
    summary: "List the ventures of a portfolio.",
    tag: "ventures",
    query: z.object({ portfolioId: z.string() }),
    output: z.array(ventureOutput),
    successStatus: 200,
    call: (caller, { query }) =>
      caller.orchestration.listVentures({ portfolioId: query.get("portfolioId") ?? "" }),
  },
  {
    method: "GET",
    path: "/ventures/{id}",
    summary: "Read one venture, with its stage and provisioning status.",
    tag: "ventures",
    output: ventureOutput,
    successStatus: 200,
    call: (caller, { params }) => caller.orchestration.getVenture({ ventureId: params.id! }),
  },
];

function match(route: HttpRoute, method: string, path: string): Record<string, string> | null {
  if (route.method !== method) return null;
  const want = route.path.split("/").filter(Boolean);
  const got = path.split("/").filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    if (w.startsWith("{")) params[w.slice(1, -1)] = decodeURIComponent(got[i]!);
    else if (w !== got[i]) return null;
  }
  return params;
}

function errorResponse(
  status: number,
  code: string,
  message: string,
  fields?: Record<string, string>,
): Response {
  return Response.json({ error: { code, message, ...(fields ? { fields } : {}) } }, { status });
}

/** Serializes bigint as a string of digits (money on the wire) and dates as ISO strings. */
function jsonBody(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v));
}

export async function handleHttpApi(request: Request, path: string, ctx: TrpcContext): Promise<Response> {
  const method = request.method.toUpperCase();
  let route: HttpRoute | undefined;
  let params: Record<string, string> | null = null;
  for (const candidate of httpRoutes) {
    params = match(candidate, method, path);
    if (params) {
      route = candidate;
      break;
    }
  }
  if (!route || !params) {
    const pathExists = httpRoutes.some((r) => match({ ...r, method: method as "GET" }, method, path));
    return pathExists
      ? errorResponse(405, "METHOD_NOT_ALLOWED", `${method} is not allowed on /api/v1${path}`)
      : errorResponse(404, "NOT_FOUND", `No route ${method} /api/v1${path}`);
  }
  if (!ctx.principal) {
    return errorResponse(
      401,
      "UNAUTHENTICATED",
      ctx.credentialsRejected
        ? "The API token is invalid, revoked or expired"
        : "Send Authorization: Bearer <API token>",
    );
  }
  let body: unknown;
  if (method === "POST") {
    const text = await request.text();
    try {
      body = text.length === 0 ? {} : JSON.parse(text);
    } catch {
      return errorResponse(400, "BAD_REQUEST", "The request body is not valid JSON", {
        body: "invalid JSON",
      });
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return errorResponse(400, "BAD_REQUEST", "The request body must be a JSON object", {
        body: "not an object",
      });
    }
  }
  try {
    const result = await route.call(createCaller(ctx), {
      params,
      body,
      query: new URL(request.url).searchParams,
    });
    return new Response(jsonBody(result), {
      status: route.successStatus,
      headers: { "content-type": "application/json", "x-correlation-id": ctx.correlationId },
    });
  } catch (error) {
    if (error instanceof TRPCError) {
      const cause = error.cause;
      const fields =
        cause instanceof z.ZodError
          ? zodFields(cause)
          : cause instanceof AppError
            ? cause.details.fields
            : undefined;
      const code = cause instanceof AppError ? cause.code : error.code;
      return errorResponse(getHTTPStatusCodeFromError(error), code, error.message, fields);
    }
    ctx.log.error({ err: String(error) }, "unexpected error in HTTP API");
    return errorResponse(
      500,
      "INTERNAL",
      "Internal error; the correlation id is in the x-correlation-id header",
    );
  }
}
