// Declared outputs of the orchestration procedures. Money is bigint (superjson in tRPC; the HTTP
// API writes strings of digits), times are Dates.
import { z } from "zod";

export const taskOutput = z.object({
  id: z.string(),
  ventureId: z.string(),
  workstreamId: z.string(),
  key: z.string(),
  title: z.string(),
  level: z.string(),
  role: z.string(),
  kind: z.string(),
  status: z.string(),
  pausedFrom: z.string().nullable(),
  priority: z.number().int(),
  inputs: z.record(z.string(), z.unknown()),
  estimatedCostMinor: z.bigint(),
  spendCeilingMinor: z.bigint(),
  costMinor: z.bigint(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  attempt: z.number().int(),
  maxAttempts: z.number().int(),
  backoffMs: z.number().int(),
  timeoutMs: z.number().int(),
  deadlineAt: z.date().nullable(),
  nextAttemptAt: z.date().nullable(),
  dispatchedAt: z.date().nullable(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  summary: z.string().nullable(),
  output: z.record(z.string(), z.unknown()).nullable(),
  lastError: z.string().nullable(),
  dependsOn: z.array(z.string()),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const historyEntryOutput = z.object({
  version: z.number().int(),
  type: z.string(),
  occurredAt: z.date(),
  actor: z.object({ type: z.string(), id: z.string() }),
  payload: z.record(z.string(), z.unknown()),
});

export const taskDetailOutput = taskOutput.extend({ history: z.array(historyEntryOutput) });

export const escalationOutput = taskDetailOutput.extend({ ventureName: z.string() });

export const workstreamOutput = z.object({
  id: z.string(),
  title: z.string(),
  goal: z.string().nullable(),
  origin: z.string(),
  status: z.string(),
  paused: z.boolean(),
  replans: z.number().int(),
  createdAt: z.date(),
  counts: z.record(z.string(), z.number().int()),
});

export const dagOutput = z.object({
  workstreams: z.array(workstreamOutput),
  tasks: z.array(taskOutput.extend({ depth: z.number().int() })),
  edges: z.array(z.object({ from: z.string(), to: z.string() })),
});

export const submittedOutput = z.object({
  workstreamId: z.string(),
  /** The id of each task, by the key it was submitted with. */
  taskIds: z.record(z.string(), z.string()),
});

export const changedOutput = z.object({ changed: z.boolean() });
export const cancelledOutput = z.object({ changed: z.boolean(), cancelled: z.array(z.string()) });
