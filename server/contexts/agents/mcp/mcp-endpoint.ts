// The MCP tool gateway (AGENT-008): the same tool registry served over the Model Context Protocol
// (streamable HTTP, stateless: one server and transport per request) for external agents. Each
// request carries a workload token (Authorization: Bearer …) issued for one task; tools/list shows
// the tools that token may call, and tools/call goes through the one gateway — the token is
// verified again on every call, then role allowlist, task scope, Cedar policy, spend and approvals,
// with every refusal recorded as an event. No separate rules here: a tool refused in the runtime is
// refused over MCP.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { type Clock, systemClock } from "@/server/shared/clock";
import type { Db } from "@/server/shared/db";
import { verifyWorkloadToken, WorkloadTokenError } from "../identity/workload-token";
import type { SpendMeter } from "../metering/meter";
import type { Supervisor } from "../supervisor/supervisor";
import { callTool } from "../tools/gateway";
import { toolJsonSchema, toolsByName } from "../tools/registry";

export type McpDeps = { db: Db; meter: SpendMeter; supervisor: Supervisor | null; clock?: Clock };

function unauthorized(message: string): Response {
  return Response.json(
    { jsonrpc: "2.0", error: { code: -32001, message }, id: null },
    { status: 401, headers: { "www-authenticate": 'Bearer realm="venture-mcp", error="invalid_token"' } },
  );
}

export async function handleMcpRequest(request: Request, deps: McpDeps): Promise<Response> {
  const clock = deps.clock ?? systemClock;
  const authorization = request.headers.get("authorization") ?? "";
  const token = /^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim();
  if (!token) return unauthorized("Send Authorization: Bearer <workload token>");
  let tools: string[];
  try {
    tools = (await verifyWorkloadToken(deps.db, token, clock.now())).tools;
  } catch (error) {
    return unauthorized(
      error instanceof WorkloadTokenError ? error.message : "The workload token was refused",
    );
  }

  const server = new Server({ name: "venture-tools", version: "1.0.0" }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: tools
      .map((name) => toolsByName.get(name))
      .filter((tool) => tool !== undefined)
      .map((tool) => ({
        name: tool.name,
        description: `${tool.description}${tool.needsApproval ? " (each exact call needs a person's approval)" : ""}`,
        inputSchema: { type: "object" as const, ...toolJsonSchema(tool) },
      })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (call, extra) => {
    const result = await callTool(
      { db: deps.db, meter: deps.meter, supervisor: deps.supervisor, clock },
      { token, tool: call.params.name, args: call.params.arguments ?? {}, via: "mcp", signal: extra.signal },
    );
    switch (result.outcome) {
      case "completed":
        return {
          content: [{ type: "text" as const, text: JSON.stringify(result.output) }],
          structuredContent: result.output,
        };
      case "needs_approval":
        return {
          content: [{ type: "text" as const, text: result.message }],
          structuredContent: {
            outcome: "needs_approval",
            approvalId: result.approvalId,
            expiresAt: result.expiresAt.toISOString(),
          },
        };
      case "denied":
        return {
          isError: true,
          content: [{ type: "text" as const, text: `Refused (${result.reason}): ${result.message}` }],
          structuredContent: { outcome: "denied", reason: result.reason },
        };
      default:
        return { isError: true, content: [{ type: "text" as const, text: `Failed: ${result.message}` }] };
    }
  });
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  await server.connect(transport);
  // Stateless: the server and transport are this request's only, and go with it.
  return transport.handleRequest(request);
}
