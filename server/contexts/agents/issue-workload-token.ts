import { readTask } from "@/server/contexts/orchestration/api";
import { type Clock, systemClock } from "@/server/shared/clock";
import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import type { WorkloadKeyring } from "./identity/workload-token";
import { roleDefinition } from "./roles";
import { taskScope } from "./tools/gateway";

/**
 * A founder issues a workload token for an external agent working on one task over MCP
 * (AGENT-008): the same claims a runtime run gets — the task's tools (narrowed further if asked),
 * its spend ceiling — and a short life (at most an hour). The token is returned once and never
 * stored; its issue is recorded (agents.workload_token_issued).
 */
export async function issueWorkloadToken(options: {
  db: Db;
  keyring: WorkloadKeyring;
  actor: EventActor;
  correlationId: string;
  clock?: Clock;
  ventureId: string;
  taskId: string;
  tools?: string[];
  ttlMinutes?: number;
}): Promise<{ token: string; tokenId: string; expiresAt: Date; tools: string[] }> {
  const now = (options.clock ?? systemClock).now();
  const ttlMinutes = options.ttlMinutes ?? 15;
  if (!Number.isInteger(ttlMinutes) || ttlMinutes < 1 || ttlMinutes > 60) {
    throw new AppError("BAD_REQUEST", "ttlMinutes must be 1 to 60", { fields: { ttlMinutes: "1 to 60" } });
  }
  const task = await readTask(options.db, options.taskId);
  if (!task || task.ventureId !== options.ventureId) {
    throw new AppError("NOT_FOUND", `Task ${options.taskId} not found in venture ${options.ventureId}`, {
      fields: { taskId: "unknown task" },
    });
  }
  if (task.status === "succeeded" || task.status === "cancelled") {
    throw new AppError("UNPROCESSABLE", `Task ${task.id} is ${task.status}; it takes no more work`, {
      reason: "task_state",
    });
  }
  const role = roleDefinition(task.role);
  const scope = taskScope(task.inputs, role?.tools ?? []);
  const tools = options.tools ?? scope;
  const outside = tools.filter((t) => !scope.includes(t));
  if (outside.length > 0) {
    throw new AppError("BAD_REQUEST", `The task's scope does not include ${outside.join(", ")}`, {
      fields: { tools: `within ${scope.join(", ")}` },
    });
  }
  const [venture] = await options.db.$queryRawUnsafe<Array<{ currency: string }>>(
    "SELECT currency FROM ventures WHERE id = $1",
    task.ventureId,
  );
  const runId = `ext_${newId("taskRun").slice(4)}`;
  const issued = await options.keyring.issue(
    options.db,
    {
      venture: task.ventureId,
      portfolio: task.portfolioId,
      task: task.id,
      run: runId,
      role: task.role,
      level: task.level,
      tools,
      spendCeilingMinor: task.spendCeilingMinor.toString(),
      currency: venture?.currency ?? "USD",
      issuedTo: "external",
    },
    { ttlMs: ttlMinutes * 60_000, now },
  );
  await withTransaction(options.db, (tx) =>
    appendEvents(tx, { actor: options.actor, correlationId: options.correlationId, clock: options.clock }, [
      {
        type: "agents.workload_token_issued",
        stream: { type: "workload_token", id: issued.tokenId },
        expectedVersion: 0,
        portfolioId: task.portfolioId,
        payload: {
          tokenId: issued.tokenId,
          ventureId: task.ventureId,
          taskId: task.id,
          runId,
          role: task.role,
          level: task.level,
          tools,
          spendCeilingMinor: task.spendCeilingMinor.toString(),
          expiresAt: issued.expiresAt.toISOString(),
          keyId: issued.keyId,
          issuedTo: "external",
        },
      },
    ]),
  );
  return { token: issued.token, tokenId: issued.tokenId, expiresAt: issued.expiresAt, tools };
}
