// The HTTP API rows of orchestration (CTRL-001): submit goals and task DAGs, follow task status,
// pause, resume and cancel tasks. Spread into httpRoutes (server/trpc/http-api.ts), so they are
// documented in /api/openapi.json with the same zod schemas the procedures validate with.
// /tasks/{id} routes first ask which venture the task belongs to (locateTask, members only), then
// call the procedure by venture, which authorizes the role again.
import { z } from "zod";
import { taskStatuses } from "@/server/contexts/orchestration/task-rules";
import type { HttpRoute } from "@/server/trpc/http-api";
import { cancelledOutput, changedOutput, submittedOutput, taskDetailOutput, taskOutput } from "./outputs";
import { submitGoalInput, submitWorkstreamInput } from "./submit-work";
import { launchFromTemplateInput, templateOutput } from "./templates";
import { ventureOutput } from "./venture-output";

const goalBody = submitGoalInput.omit({ ventureId: true });
const workstreamBody = submitWorkstreamInput.omit({ ventureId: true });
const controlBody = z
  .object({ reason: z.string().trim().max(500, "at most 500 characters").optional() })
  .strict();
const tasksQuery = z.object({
  status: z
    .string()
    .optional()
    .describe(`Comma-separated statuses: ${taskStatuses.join(", ")}`),
  workstreamId: z.string().optional(),
});

function object(body: unknown): Record<string, unknown> {
  return (body ?? {}) as Record<string, unknown>;
}

const taskControl = (action: "pause" | "resume" | "cancel"): HttpRoute => ({
  method: "POST",
  path: `/tasks/{id}/${action}`,
  summary:
    action === "pause"
      ? "Pause a task (founder or admin). A running task's agent stops at its next lease renewal; the attempt does not count."
      : action === "resume"
        ? "Resume a paused task where it left off (founder or admin)."
        : "Cancel a task and every task that depends on it (founder or admin).",
  tag: "tasks",
  body: controlBody,
  output: action === "cancel" ? cancelledOutput : changedOutput,
  successStatus: 200,
  async call(caller, { params, body }) {
    const { ventureId } = await caller.orchestration.locateTask({ taskId: params.id! });
    const input = { ...object(body), ventureId, taskId: params.id! } as {
      ventureId: string;
      taskId: string;
      reason?: string;
    };
    if (action === "pause") return caller.orchestration.pauseTask(input);
    if (action === "resume") return caller.orchestration.resumeTask(input);
    return caller.orchestration.cancelTask(input);
  },
});

export const orchestrationHttpRoutes: HttpRoute[] = [
  {
    method: "GET",
    path: "/templates",
    summary:
      "The venture templates: each a DAG that walks a venture through research, validation, build and launch.",
    tag: "ventures",
    output: z.array(templateOutput),
    successStatus: 200,
    call: (caller) => caller.orchestration.listTemplates(),
  },
  {
    method: "POST",
    path: "/templates/{id}/launch",
    summary:
      "Launch a venture from a template (founder or admin): the venture and the template's DAG as its first workstream, in one transaction.",
    tag: "ventures",
    body: launchFromTemplateInput.omit({ templateId: true }),
    output: z.object({ venture: ventureOutput, workstreamId: z.string(), templateId: z.string() }),
    successStatus: 201,
    call: (caller, { params, body }) =>
      caller.orchestration.launchFromTemplate({ ...object(body), templateId: params.id! } as z.infer<
        typeof launchFromTemplateInput
      >),
  },
  {
    method: "POST",
    path: "/ventures/{id}/goals",
    summary:
      "Submit a goal (founder or admin): the L1 planner turns it into a DAG of tasks in a new workstream.",
    tag: "tasks",
    body: goalBody,
    output: submittedOutput.extend({ planTaskId: z.string() }),
    successStatus: 201,
    call: (caller, { params, body }) =>
      caller.orchestration.submitGoal({ ...object(body), ventureId: params.id! } as z.infer<
        typeof submitGoalInput
      >),
  },
  {
    method: "POST",
    path: "/ventures/{id}/workstreams",
    summary:
      "Submit a DAG of tasks (founder or admin). Keys name tasks, dependsOn names keys; cycles and unknown dependencies are refused naming the offending keys.",
    tag: "tasks",
    body: workstreamBody,
    output: submittedOutput,
    successStatus: 201,
    call: (caller, { params, body }) =>
      caller.orchestration.submitWorkstream({ ...object(body), ventureId: params.id! } as z.infer<
        typeof submitWorkstreamInput
      >),
  },
  {
    method: "GET",
    path: "/ventures/{id}/tasks",
    summary: "A venture's tasks with their status, attempts, cost and results, newest first.",
    tag: "tasks",
    query: tasksQuery,
    output: z.array(taskOutput),
    successStatus: 200,
    call: (caller, { params, query }) =>
      caller.orchestration.listTasks({
        ventureId: params.id!,
        ...(query.get("status")
          ? {
              status: query
                .get("status")!
                .split(",")
                .map((x) => x.trim()) as Array<(typeof taskStatuses)[number]>,
            }
          : {}),
        ...(query.get("workstreamId") ? { workstreamId: query.get("workstreamId")! } : {}),
      }),
  },
  {
    method: "GET",
    path: "/tasks/{id}",
    summary: "One task with its history: dispatches, attempts and their errors, pauses, escalations.",
    tag: "tasks",
    output: taskDetailOutput,
    successStatus: 200,
    async call(caller, { params }) {
      const { ventureId } = await caller.orchestration.locateTask({ taskId: params.id! });
      return caller.orchestration.getTask({ ventureId, taskId: params.id! });
    },
  },
  taskControl("pause"),
  taskControl("resume"),
  taskControl("cancel"),
];
