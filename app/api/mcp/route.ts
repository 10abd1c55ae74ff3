// MCP streamable HTTP endpoint (AGENT-008): an adapter over the agents context's MCP gateway.
// Authentication is the workload token in the Authorization header, verified on every request.
import { handleMcpRequest } from "@/server/contexts/agents/mcp/mcp-endpoint";
import { ledgerMeter } from "@/server/contexts/agents/metering/meter";
import { webRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";

function handler(request: Request): Promise<Response> {
  // The web process runs no subprocesses: sandbox.run answers that it runs in the agent runtime.
  return handleMcpRequest(request, { db: webRuntime().db, meter: ledgerMeter, supervisor: null });
}

export { handler as DELETE, handler as GET, handler as POST };
