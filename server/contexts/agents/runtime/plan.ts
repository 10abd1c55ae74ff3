// The L1 planner's answer (AGENT-006): a JSON plan, schema-checked here and checked as a DAG
// against its workstream when it is written. Anything else is an invalid plan: the attempt fails
// with the reason and the retry policy decides.
import { z } from "zod";
import type { PlanExtension } from "@/server/contexts/orchestration/api";

const plannedTask = z
  .object({
    key: z.string(),
    title: z.string(),
    role: z.string(),
    dependsOn: z.array(z.string()).default([]),
    estimatedCostMinor: z
      .string()
      .regex(/^\d{1,18}$/)
      .default("0"),
    priority: z.number().int().optional(),
    brief: z.string().max(4_000).optional(),
    inputs: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const planSchema = z
  .object({
    tasks: z.array(plannedTask).min(1).max(50),
    replaces: z.object({ taskId: z.string(), withKey: z.string() }).strict().nullish(),
  })
  .strict();

export class InvalidPlanError extends Error {
  override readonly name = "InvalidPlanError";
}

/** The first JSON object in the planner's text, validated as a plan. */
export function parsePlan(text: string): PlanExtension {
  const start = text.indexOf("{");
  const end = text.lastIndexOf("}");
  if (start < 0 || end <= start) throw new InvalidPlanError("The planner's answer holds no JSON object");
  let raw: unknown;
  try {
    raw = JSON.parse(text.slice(start, end + 1));
  } catch (error) {
    throw new InvalidPlanError(`The planner's plan is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = planSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join(".") || "(plan)"}: ${i.message}`)
      .join("; ");
    throw new InvalidPlanError(`The planner's plan does not match the plan schema: ${problems}`);
  }
  return {
    tasks: parsed.data.tasks.map((t) => ({
      key: t.key,
      title: t.title,
      role: t.role,
      dependsOn: t.dependsOn,
      estimatedCostMinor: t.estimatedCostMinor,
      ...(t.priority === undefined ? {} : { priority: t.priority }),
      inputs: { ...(t.inputs ?? {}), ...(t.brief ? { brief: t.brief } : {}) },
    })),
    replaces: parsed.data.replaces ?? null,
  };
}
