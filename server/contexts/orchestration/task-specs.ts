// Task specifications as submitted (by a founder, the HTTP API or the L1 planner), their zod schema
// and the domain checks the schema cannot make: the role exists and matches the level, the graph is
// a DAG. Pure; bad input becomes a BAD_REQUEST naming the field.
import { z } from "zod";
import { agentRoles, isRoleName } from "@/server/contexts/agents/api";
import { AppError } from "@/server/shared/errors";
import { type AgentLevelName, agentLevels } from "@/server/shared/events/catalog/orchestration";
import { assertValidDag } from "./dag";
import { defaultRetryPolicy, type RetryPolicy } from "./task-rules";

export const maxTasksPerSubmission = 5_000;
const keyPattern = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const digits = z.string().regex(/^\d{1,18}$/, "an integer amount in minor units, as a string of digits");

export const taskSpecSchema = z
  .object({
    key: z.string().regex(keyPattern, "lower-case letters, digits, _ and -, at most 64"),
    title: z.string().trim().min(1, "required").max(200, "at most 200 characters"),
    role: z.string().min(1, "required"),
    level: z.enum(agentLevels).optional(),
    inputs: z.record(z.string(), z.unknown()).optional(),
    dependsOn: z.array(z.string().min(1)).max(100, "at most 100 dependencies").optional(),
    /** Integer minor units of the venture's currency, as a string of digits. */
    estimatedCostMinor: digits.optional(),
    spendCeilingMinor: digits.optional(),
    priority: z.number().int().min(-1_000).max(1_000).optional(),
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(20).optional(),
        backoffMs: z.number().int().min(0).max(3_600_000).optional(),
        backoffMaxMs: z.number().int().min(0).max(86_400_000).optional(),
        timeoutMs: z.number().int().min(100).max(86_400_000).optional(),
      })
      .strict()
      .optional(),
    deadlineAt: z.coerce.date().nullable().optional(),
  })
  .strict();

export type TaskSpecInput = z.infer<typeof taskSpecSchema>;

/** A spec with every default filled in and its money as bigint. */
export type TaskSpec = {
  key: string;
  title: string;
  role: string;
  level: AgentLevelName;
  inputs: Record<string, unknown>;
  dependsOn: string[];
  estimatedCostMinor: bigint;
  spendCeilingMinor: bigint;
  priority: number;
  retry: RetryPolicy;
};

const maxInputBytes = 64 * 1024;

/**
 * Checks and completes a submission. `existing` are the ids of tasks already in the workstream
 * that new tasks may depend on. Throws BAD_REQUEST naming each offending field.
 */
export function normalizeTaskSpecs(
  specs: readonly TaskSpecInput[],
  options: { existing?: ReadonlySet<string>; field?: string; now: Date },
): TaskSpec[] {
  const field = options.field ?? "tasks";
  if (specs.length === 0 || specs.length > maxTasksPerSubmission) {
    throw new AppError("BAD_REQUEST", `${field} must list 1 to ${maxTasksPerSubmission} tasks`, {
      fields: { [field]: `1 to ${maxTasksPerSubmission} tasks` },
    });
  }
  const fields: Record<string, string> = {};
  const normalized = specs.map((spec, i): TaskSpec => {
    const at = `${field}[${i}]`;
    const role = isRoleName(spec.role) ? agentRoles[spec.role] : null;
    if (!role) fields[`${at}.role`] = `unknown role "${spec.role}"`;
    const level = spec.level ?? role?.level ?? "L2";
    if (role && role.level !== level)
      fields[`${at}.level`] = `role ${spec.role} works at ${role.level}, not ${level}`;
    const inputs = spec.inputs ?? {};
    if (JSON.stringify(inputs).length > maxInputBytes) fields[`${at}.inputs`] = "at most 64 KiB of JSON";
    if (spec.deadlineAt && spec.deadlineAt.getTime() <= options.now.getTime()) {
      fields[`${at}.deadlineAt`] = "must be in the future";
    }
    const retry: RetryPolicy = {
      maxAttempts: spec.retry?.maxAttempts ?? defaultRetryPolicy.maxAttempts,
      backoffMs: spec.retry?.backoffMs ?? defaultRetryPolicy.backoffMs,
      backoffMaxMs: spec.retry?.backoffMaxMs ?? defaultRetryPolicy.backoffMaxMs,
      timeoutMs: spec.retry?.timeoutMs ?? defaultRetryPolicy.timeoutMs,
      deadlineAt: spec.deadlineAt ?? null,
    };
    if (retry.backoffMaxMs < retry.backoffMs)
      fields[`${at}.retry.backoffMaxMs`] = "must be at least backoffMs";
    return {
      key: spec.key,
      title: spec.title,
      role: spec.role,
      level,
      inputs,
      dependsOn: [...new Set(spec.dependsOn ?? [])],
      estimatedCostMinor: BigInt(spec.estimatedCostMinor ?? "0"),
      spendCeilingMinor: BigInt(spec.spendCeilingMinor ?? (role?.spendCeilingMinor ?? 0n).toString()),
      priority: spec.priority ?? 0,
      retry,
    };
  });
  if (Object.keys(fields).length > 0) {
    const summary = Object.entries(fields)
      .map(([f, m]) => `${f}: ${m}`)
      .join("; ");
    throw new AppError("BAD_REQUEST", `Invalid tasks: ${summary}`, { fields });
  }
  assertValidDag(normalized, options.existing, field);
  return normalized;
}
