// /api/openapi.json, generated from the same route table and zod schemas that serve the API.
import { z } from "zod";
import { type HttpRoute, httpRoutes } from "./http-api";

function jsonSchema(schema: z.ZodType, io: "input" | "output"): unknown {
  return z.toJSONSchema(schema, {
    io,
    unrepresentable: "any",
    override(ctx) {
      const def = (ctx.zodSchema as { _zod?: { def?: { type?: string } } })._zod?.def;
      if (def?.type === "date") {
        ctx.jsonSchema.type = "string";
        ctx.jsonSchema.format = "date-time";
      }
      if (def?.type === "bigint") {
        ctx.jsonSchema.type = "string";
        ctx.jsonSchema.pattern = "^-?[0-9]+$";
      }
    },
  });
}

const errorSchema = {
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: {
        code: { type: "string" },
        message: { type: "string" },
        fields: {
          type: "object",
          additionalProperties: { type: "string" },
          description: "offending field → problem",
        },
      },
      required: ["code", "message"],
    },
  },
};

function operation(route: HttpRoute) {
  // A route that answers with a file or a text download documents its media type, not JSON.
  const download = route.file ?? route.text;
  const parameters = [
    ...[...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    })),
    ...(route.query
      ? Object.entries((route.query as z.ZodObject).shape).map(([name, schema]) => ({
          name,
          in: "query",
          required: !(schema as z.ZodType).safeParse(undefined).success,
          schema: { type: "string" },
        }))
      : []),
  ];
  const errors = Object.fromEntries(
    [
      ["400", "Invalid input: the fields are named; nothing was written"],
      ["401", "Missing, invalid or expired API token"],
      ["403", "Your role does not allow this, or separation of duties forbids it"],
      ["404", "Not found (or not in a portfolio you belong to)"],
      ["409", "Conflict: a concurrent change won, or an idempotency key was reused with other content"],
      ["422", "A business rule refused the request"],
      [
        "503",
        "Overloaded (every database connection busy and the wait queue full) or a dependency cannot be confirmed; nothing was written; retry after the Retry-After header's seconds",
      ],
    ].map(([status, description]) => [
      status,
      {
        description,
        content: { "application/json": { schema: errorSchema } },
        ...(status === "503"
          ? {
              headers: {
                "Retry-After": {
                  description: "Seconds to wait before retrying",
                  schema: { type: "integer" },
                },
              },
            }
          : {}),
      },
    ]),
  );
  return {
    summary: route.summary,
    tags: [route.tag],
    security: [{ bearer: [] }],
    parameters,
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: jsonSchema(route.body, "input") } },
          },
        }
      : {}),
    responses: {
      [String(route.successStatus)]: {
        description: "OK",
        content: download
          ? { [download.contentType]: { schema: { type: "string", contentMediaType: download.contentType } } }
          : { "application/json": { schema: jsonSchema(route.output, "output") } },
      },
      ...errors,
    },
  };
}

export function openApiDocument(serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of httpRoutes) {
    const key = `/api/v1${route.path}`;
    paths[key] ??= {};
    paths[key][route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Venture API",
      version: "1",
      description:
        "Money amounts are integer minor units sent as strings of digits. Every request is authorized against the token owner's portfolio role.",
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "API token (vt_…)" } },
    },
    paths,
  };
}
