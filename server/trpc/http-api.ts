// The documented HTTP API (/api/v1). Each route is a thin adapter over a tRPC procedure called
// through a server-side caller, so validation, authorization and use-cases are the same as in the
// UI. The same table generates /api/openapi.json.

import fs from "node:fs";
import { Readable } from "node:stream";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { z } from "zod";
import { AppError, retryAfterSeconds } from "@/server/shared/errors";
import { type TrpcContext, zodFields } from "./init";
import { createCaller } from "./root";
import { artifactsHttpRoutes } from "./routers/artifacts/http-routes";
import { createEvidencePackInput } from "./routers/compliance/create-evidence-pack";
import { complianceHttpRoutes } from "./routers/compliance/http-routes";
import {
  auditKeyOutput,
  evidencePackOutput,
  fileDownloadOutput,
  verificationResultOutput,
} from "./routers/compliance/outputs";
import { controlChangeInput, controlChangeOutput, controlStateOutput } from "./routers/control/schemas";
import { notificationsHttpRoutes } from "./routers/notifications/http-routes";
import { createVentureInput } from "./routers/orchestration/create-venture";
import { orchestrationHttpRoutes } from "./routers/orchestration/http-routes";
import { ventureDetailOutput, ventureOutput } from "./routers/orchestration/venture-output";
import { playbooksHttpRoutes } from "./routers/playbooks/http-routes";
import { rebalancingHttpRoutes } from "./routers/rebalancing/http-routes";
import { treasuryFundingHttpRoutes } from "./routers/treasury/funding-http-routes";
import { treasuryHttpRoutes } from "./routers/treasury/http-routes";
import { treasuryRailsHttpRoutes } from "./routers/treasury/rails-http-routes";

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
  /** Set when the call returns a FileDownload: the response streams that file instead of JSON. */
  file?: { contentType: string };
  /** Set when the call returns a TextDownload (e.g. a CSV report): the response is that text, as an attachment. */
  text?: { contentType: string };
  call(
    caller: Caller,
    request: { params: Record<string, string>; body: unknown; query: URLSearchParams },
  ): Promise<unknown>;
};

/** A file a route answers with (see HttpRoute.file); the shape of fileDownloadOutput. */
export type FileDownload = z.infer<typeof fileDownloadOutput>;

/** Text a route answers with as a download (see HttpRoute.text). */
export type TextDownload = { fileName: string; content: string };

/** The named query parameters that are present, for a procedure's input (absent ones stay absent). */
function fromQuery<T>(query: URLSearchParams, names: string[]): T {
  return Object.fromEntries(names.flatMap((name) => (query.has(name) ? [[name, query.get(name)]] : []))) as T;
}

const portfolioQuery = z.object({ portfolioId: z.string() });

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
    summary:
      "Read one venture: its lifecycle stage, provisioning status and KPIs from the ledger (revenue, spend, burn and runway over the last 30 days).",
    tag: "ventures",
    output: ventureDetailOutput,
    successStatus: 200,
    call: (caller, { params }) => caller.orchestration.getVenture({ ventureId: params.id! }),
  },
  ...orchestrationHttpRoutes,
  ...playbooksHttpRoutes,
  ...artifactsHttpRoutes,
  ...complianceHttpRoutes,
  ...treasuryHttpRoutes,
  ...treasuryRailsHttpRoutes,
  ...treasuryFundingHttpRoutes,
  ...rebalancingHttpRoutes,
  ...notificationsHttpRoutes,
  {
    method: "GET",
    path: "/control",
    summary: "The kill-switch state: running or paused, since when, by whom and why.",
    tag: "control",
    output: controlStateOutput,
    successStatus: 200,
    call: async (caller) => (await caller.control.getState()).state,
  },
  {
    method: "POST",
    path: "/control/pause",
    summary:
      "Pause everything (founder or admin in any portfolio): dispatch stops, in-flight work is terminated, no tool call or money intent is approved until resumed. A reason is required.",
    tag: "control",
    body: controlChangeInput,
    output: controlChangeOutput,
    successStatus: 200,
    call: (caller, { body }) => caller.control.pause(body as z.infer<typeof controlChangeInput>),
  },
  {
    method: "POST",
    path: "/control/resume",
    summary: "Resume after a pause (founder or admin in any portfolio). A reason is required.",
    tag: "control",
    body: controlChangeInput,
    output: controlChangeOutput,
    successStatus: 200,
    call: (caller, { body }) => caller.control.resume(body as z.infer<typeof controlChangeInput>),
  },
  {
    method: "GET",
    path: "/audit/keys",
    summary:
      "Every public key of the audit keyring (ed25519; PEM and JWK) with its id and validity period: what verifies checkpoints and evidence packs.",
    tag: "audit",
    output: z.array(auditKeyOutput),
    successStatus: 200,
    call: (caller) => caller.compliance.listKeys(),
  },
  {
    method: "GET",
    path: "/audit/verify",
    summary:
      "Verify the audit trail now: the hash chain (naming the first event modified, removed, inserted or reordered) and every signed checkpoint in the database. The scheduled verification also checks the checkpoint copies kept outside the database.",
    tag: "audit",
    query: portfolioQuery,
    output: verificationResultOutput,
    successStatus: 200,
    call: (caller, { query }) => caller.compliance.verifyNow(fromQuery(query, ["portfolioId"])),
  },
  {
    method: "POST",
    path: "/evidence-packs",
    summary:
      "Request an evidence pack for the period [from, to) (ISO dates; auditor or admin). It is built in the background: follow GET /evidence-packs/{id}, then download it.",
    tag: "audit",
    body: createEvidencePackInput,
    output: evidencePackOutput,
    successStatus: 201,
    call: (caller, { body }) =>
      caller.compliance.createEvidencePack(body as z.input<typeof createEvidencePackInput>),
  },
  {
    method: "GET",
    path: "/evidence-packs",
    summary: "The evidence packs requested in a portfolio, newest first.",
    tag: "audit",
    query: portfolioQuery,
    output: z.array(evidencePackOutput),
    successStatus: 200,
    call: (caller, { query }) => caller.compliance.listEvidencePacks(fromQuery(query, ["portfolioId"])),
  },
  {
    method: "GET",
    path: "/evidence-packs/{id}",
    summary:
      "One evidence pack: status (queued, building, ready, failed), progress, and once ready its size and SHA-256.",
    tag: "audit",
    query: portfolioQuery,
    output: evidencePackOutput,
    successStatus: 200,
    call: (caller, { params, query }) =>
      caller.compliance.getEvidencePack({
        ...fromQuery<{ portfolioId: string }>(query, ["portfolioId"]),
        packId: params.id!,
      }),
  },
  {
    method: "GET",
    path: "/evidence-packs/{id}/download",
    summary:
      "Download a ready evidence pack (a gzipped tar). Verify it offline with `npx venture verify <file>`. Needs the export permission in every portfolio the pack covers.",
    tag: "audit",
    query: portfolioQuery,
    output: fileDownloadOutput,
    file: { contentType: "application/gzip" },
    successStatus: 200,
    call: (caller, { params, query }) =>
      caller.compliance.evidencePackFile({
        ...fromQuery<{ portfolioId: string }>(query, ["portfolioId"]),
        packId: params.id!,
      }),
  },
];

/** Streams a file answer: its bytes, with its name, size and SHA-256 in the headers. */
export function fileResponse(file: FileDownload, correlationId: string): Response {
  const stream = Readable.toWeb(fs.createReadStream(file.filePath)) as ReadableStream<Uint8Array>;
  return new Response(stream, {
    status: 200,
    headers: {
      "content-type": file.contentType,
      "content-length": String(file.bytes),
      "content-disposition": `attachment; filename="${file.fileName.replace(/[^A-Za-z0-9._-]/g, "_")}"`,
      "x-content-sha256": file.sha256,
      "x-correlation-id": correlationId,
    },
  });
}

/** A text answer (a CSV report) as an attachment with its file name. */
export function textResponse(text: TextDownload, contentType: string, correlationId: string): Response {
  return new Response(text.content, {
    status: 200,
    headers: {
      "content-type": contentType,
      "content-disposition": `attachment; filename="${text.fileName.replace(/[^A-Za-z0-9._-]/g, "_")}"`,
      "x-correlation-id": correlationId,
    },
  });
}

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
  // 503 is overload or a dependency that cannot be confirmed: worth retrying shortly.
  const headers = status === 503 ? { "retry-after": String(retryAfterSeconds) } : undefined;
  return Response.json({ error: { code, message, ...(fields ? { fields } : {}) } }, { status, headers });
}

/**
 * The response for an error thrown while serving a request: the AppError's status and code (input
 * errors name their fields), or 500 for anything unexpected, logged with the correlation id.
 */
export function httpErrorResponse(error: unknown, log: Pick<TrpcContext["log"], "error">): Response {
  if (error instanceof AppError) {
    return errorResponse(error.status, error.code, error.message, error.details.fields);
  }
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
  log.error({ err: String(error) }, "unexpected error in HTTP API");
  return errorResponse(
    500,
    "INTERNAL",
    "Internal error; the correlation id is in the x-correlation-id header",
  );
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
    if (route.file) return fileResponse(result as FileDownload, ctx.correlationId);
    if (route.text) return textResponse(result as TextDownload, route.text.contentType, ctx.correlationId);
    return new Response(jsonBody(result), {
      status: route.successStatus,
      headers: { "content-type": "application/json", "x-correlation-id": ctx.correlationId },
    });
  } catch (error) {
    return httpErrorResponse(error, ctx.log);
  }
}
