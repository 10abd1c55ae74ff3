// The deterministic built-in provider (AGENT-004): no network, and the same request always gets the
// same answer, so tests, demos and replays are reproducible. It behaves like a small, obedient
// model:
// - a task whose inputs carry a `script` (a list of steps: {tool, args} | {answer} | {fail}) plays
//   it step by step, one step per turn — how tests make an agent call a forbidden tool or overspend;
// - the L1 planner answers with a JSON plan derived from the goal (a replan replaces the task that
//   failed);
// - other roles look in venture memory first when they may, then answer with text derived from the
//   task and what their dependencies produced.
import { createHash } from "node:crypto";
import {
  type ChatMessage,
  type CompletionRequest,
  type CompletionResult,
  type ModelProvider,
  ProviderError,
  reasonOf,
  type ToolCallRequest,
} from "./types";

export type BuiltinOptions = {
  /** Simulated latency per call, to exercise timeouts and aborts. */
  latencyMs?: number;
};

type ScriptStep =
  | { tool: string; args?: Record<string, unknown> }
  | { answer: string }
  | { fail: string }
  | { maxTokens: number };

const words = [
  "customers",
  "pricing",
  "channel",
  "launch",
  "segment",
  "retention",
  "landing page",
  "experiment",
  "budget",
  "conversion",
  "positioning",
  "competitors",
  "margin",
  "onboarding",
  "referral",
  "pilot",
];

function seedOf(request: CompletionRequest): Buffer {
  const { signal: _signal, onText: _onText, ...rest } = request;
  return createHash("sha256").update(JSON.stringify(rest)).digest();
}

function tokensOf(text: string): number {
  return Math.ceil(Buffer.byteLength(text, "utf8") / 4);
}

/** The JSON inputs the runtime puts in the first user message (a ```json block), if any. */
export function inputsFromMessages(messages: readonly ChatMessage[]): Record<string, unknown> {
  const first = messages.find((m) => m.role === "user");
  const match = first ? /```json\n([\s\S]*?)\n```/.exec(first.content) : null;
  if (!match) return {};
  try {
    const parsed: unknown = JSON.parse(match[1]!);
    return parsed && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function titleFrom(messages: readonly ChatMessage[]): string {
  const first = messages.find((m) => m.role === "user");
  return /^Task: (.*)$/m.exec(first?.content ?? "")?.[1]?.trim() ?? "the task";
}

function sentence(seed: Buffer, offset: number): string {
  const pick = (i: number) => words[seed[(offset + i) % seed.length]! % words.length]!;
  return `Focus on ${pick(0)} and ${pick(1)}: test the ${pick(2)} with a small ${pick(3)} before scaling the ${pick(4)}.`;
}

function plan(inputs: Record<string, unknown>): string {
  if (typeof inputs.failedTaskId === "string") {
    const key = `alt-${String(inputs.failedTaskKey ?? "task")}`.slice(0, 60);
    const role = typeof inputs.failedRole === "string" ? inputs.failedRole : "researcher";
    return JSON.stringify({
      tasks: [
        {
          key,
          title: `Alternative approach to: ${String(inputs.failedTitle ?? "the failed task")}`.slice(0, 200),
          role,
          dependsOn: [],
          estimatedCostMinor: "10",
          brief: `The previous attempt failed with: ${String(inputs.error ?? "unknown error").slice(0, 200)}`,
        },
      ],
      replaces: { taskId: inputs.failedTaskId, withKey: key },
    });
  }
  const goal = String(inputs.goal ?? "the goal");
  // "[fail:<key>]" in a goal makes that planned task fail on every attempt: how tests exercise
  // escalation and replanning with a deterministic model.
  const failing = new Set([...goal.matchAll(/\[fail:([a-z]+)\]/g)].map((m) => m[1]));
  const failure = (key: string) =>
    failing.has(key) ? { inputs: { script: [{ fail: `scripted failure of ${key}` }] } } : {};
  const tasks = [
    {
      key: "research",
      title: `Research the market for: ${goal}`.slice(0, 200),
      role: "researcher",
      dependsOn: [],
      estimatedCostMinor: "10",
    },
    {
      key: "pricing",
      title: "Model prices and unit economics",
      role: "finance_analyst",
      dependsOn: ["research"],
      estimatedCostMinor: "10",
    },
    {
      key: "copy",
      title: "Write the landing page copy",
      role: "copywriter",
      dependsOn: ["research"],
      estimatedCostMinor: "10",
    },
    {
      key: "design",
      title: "Brief the landing page design",
      role: "designer",
      dependsOn: ["copy"],
      estimatedCostMinor: "10",
    },
    {
      key: "launch",
      title: "Plan the first acquisition experiment",
      role: "growth_marketer",
      dependsOn: ["pricing", "design"],
      estimatedCostMinor: "10",
    },
  ];
  return JSON.stringify({ tasks: tasks.map((task) => ({ ...task, ...failure(task.key) })) });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ProviderError("aborted", reasonOf(signal)));
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new ProviderError("aborted", reasonOf(signal)));
      },
      { once: true },
    );
  });
}

export class BuiltinProvider implements ModelProvider {
  readonly name = "builtin" as const;
  constructor(private readonly options: BuiltinOptions = {}) {}

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const deadline = AbortSignal.any([request.signal, AbortSignal.timeout(request.timeoutMs)]);
    if ((this.options.latencyMs ?? 0) > 0) {
      try {
        await sleep(this.options.latencyMs!, deadline);
      } catch (error) {
        if (request.signal.aborted)
          throw new ProviderError("aborted", `the model call was aborted: ${reasonOf(request.signal)}`);
        if (deadline.aborted)
          throw new ProviderError("timeout", `the model call timed out after ${request.timeoutMs} ms`);
        throw error;
      }
    }
    if (request.signal.aborted)
      throw new ProviderError("aborted", `the model call was aborted: ${reasonOf(request.signal)}`);
    const seed = seedOf(request);
    const inputs = inputsFromMessages(request.messages);
    const turn = request.messages.filter((m) => m.role === "assistant").length;
    const toolNames = new Set(request.tools.map((t) => t.name));
    let text = "";
    let toolCalls: ToolCallRequest[] = [];

    const script = Array.isArray(inputs.script) ? (inputs.script as ScriptStep[]) : null;
    if (script) {
      // Steps that only set the call size (maxTokens) are read by the runtime, not played.
      const steps = script.filter((s) => !("maxTokens" in s));
      const step = steps[turn];
      if (!step) text = `Done: ${titleFrom(request.messages)}.`;
      else if ("fail" in step) throw new ProviderError("bad_response", step.fail);
      else if ("answer" in step) text = step.answer;
      else if ("tool" in step) {
        toolCalls = [
          {
            id: `call_${seed.toString("hex").slice(0, 12)}_${turn}`,
            name: step.tool,
            arguments: step.args ?? {},
          },
        ];
      }
    } else if (/L1 planner/.test(request.system)) {
      const searched = request.messages.some((m) => m.role === "tool");
      if (!searched && toolNames.has("memory.search") && turn === 0) {
        toolCalls = [
          {
            id: `call_${seed.toString("hex").slice(0, 12)}_0`,
            name: "memory.search",
            arguments: { query: String(inputs.goal ?? "goal").slice(0, 200), limit: 3 },
          },
        ];
      } else {
        text = plan(inputs);
      }
    } else {
      const searched = request.messages.some((m) => m.role === "tool");
      if (!searched && toolNames.has("memory.search") && turn === 0) {
        toolCalls = [
          {
            id: `call_${seed.toString("hex").slice(0, 12)}_0`,
            name: "memory.search",
            arguments: { query: titleFrom(request.messages).slice(0, 200), limit: 3 },
          },
        ];
      } else {
        const found = request.messages
          .filter((m) => m.role === "tool")
          .map((m) => m.content)
          .join(" ").length;
        text = [
          `## ${titleFrom(request.messages)}`,
          sentence(seed, 0),
          sentence(seed, 7),
          found > 0 ? "Built on what the venture already knows." : "No earlier work was found for this.",
        ].join("\n\n");
      }
    }
    const maxChars = request.maxTokens * 4;
    let stopReason: CompletionResult["stopReason"] = toolCalls.length > 0 ? "tool_use" : "end";
    if (text.length > maxChars) {
      text = text.slice(0, maxChars);
      stopReason = "max_tokens";
    }
    if (text) request.onText?.(text);
    const inputText = request.system + JSON.stringify(request.messages) + JSON.stringify(request.tools);
    return {
      text,
      toolCalls,
      usage: {
        inputTokens: tokensOf(inputText),
        outputTokens: Math.min(tokensOf(text + JSON.stringify(toolCalls)), Math.max(request.maxTokens, 1)),
      },
      stopReason,
    };
  }
}
