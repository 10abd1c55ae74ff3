// The Anthropic and OpenAI-compatible providers through their real SDKs against local fake servers
// that speak each API (test/fakes): streaming, tool calls with dotted names, usage, error
// classification, timeouts and aborts. And the built-in provider's determinism.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropic } from "@/test/fakes/anthropic";
import type { FakeServer } from "@/test/fakes/fake-server";
import { startFakeOpenAi } from "@/test/fakes/openai";
import { AnthropicProvider } from "./anthropic";
import { BuiltinProvider } from "./builtin";
import { OpenAiProvider } from "./openai";
import { type CompletionRequest, type ModelProvider, ProviderError } from "./types";

let anthropicFake: FakeServer;
let openaiFake: FakeServer;
const cases: Array<{ name: string; fake: () => FakeServer; make: () => ModelProvider }> = [];

beforeAll(async () => {
  anthropicFake = await startFakeAnthropic();
  openaiFake = await startFakeOpenAi();
});
afterAll(async () => {
  await anthropicFake.close();
  await openaiFake.close();
});

cases.push(
  {
    name: "anthropic",
    fake: () => anthropicFake,
    make: () => new AnthropicProvider({ apiKey: "sk-ant-test", baseURL: anthropicFake.url }),
  },
  {
    name: "openai",
    fake: () => openaiFake,
    make: () => new OpenAiProvider({ apiKey: "sk-test", baseURL: `${openaiFake.url}/v1` }),
  },
);

function request(overrides: Partial<CompletionRequest> = {}): CompletionRequest {
  return {
    model: "test-model",
    system: "You are a test.",
    messages: [{ role: "user", content: "Say hello" }],
    tools: [
      {
        name: "memory.search",
        description: "Search",
        inputSchema: { type: "object", properties: { query: { type: "string" } } },
      },
    ],
    maxTokens: 100,
    signal: new AbortController().signal,
    timeoutMs: 5_000,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

for (const c of cases) {
  describe(`${c.name} provider against its fake server`, () => {
    it("streams text and reports usage", async () => {
      c.fake().enqueue({
        kind: "stream",
        text: "Hello there, founder.",
        usage: { input: 21, output: 9 },
        chunks: 4,
      });
      const deltas: string[] = [];
      const result = await c.make().complete(request({ onText: (d) => deltas.push(d) }));
      expect(result).toMatchObject({
        text: "Hello there, founder.",
        toolCalls: [],
        usage: { inputTokens: 21, outputTokens: 9 },
        stopReason: "end",
      });
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.join("")).toBe("Hello there, founder.");
      const sent = c.fake().requests.at(-1)!;
      expect(sent.body.stream).toBe(true);
      expect(JSON.stringify(sent.body.tools)).toContain("memory__search");
    });

    it("returns tool calls with our dotted names and sends tool results back", async () => {
      c.fake().enqueue({
        kind: "stream",
        toolCalls: [{ id: "call_1", name: "memory__search", args: { query: "pricing" } }],
        usage: { input: 30, output: 12 },
      });
      const first = await c.make().complete(request());
      expect(first.stopReason).toBe("tool_use");
      expect(first.toolCalls).toEqual([
        { id: "call_1", name: "memory.search", arguments: { query: "pricing" } },
      ]);
      c.fake().enqueue({ kind: "stream", text: "Found it." });
      const second = await c.make().complete(
        request({
          messages: [
            { role: "user", content: "Say hello" },
            { role: "assistant", content: "", toolCalls: first.toolCalls },
            {
              role: "tool",
              toolCallId: "call_1",
              name: "memory.search",
              content: '{"hits":[]}',
              isError: false,
            },
          ],
        }),
      );
      expect(second.text).toBe("Found it.");
      const body = JSON.stringify(c.fake().requests.at(-1)!.body);
      expect(body).toContain("call_1");
      expect(body).toContain('{\\"hits\\":[]}');
    });

    it("classifies HTTP errors: rate limits and server errors are retryable, bad requests and keys are not", async () => {
      const cases: Array<[number, string, boolean]> = [
        [429, "rate_limited", true],
        [500, "server", true],
        [400, "bad_request", false],
        [401, "auth", false],
      ];
      for (const [status, kind, retryable] of cases) {
        c.fake().enqueue({ kind: "error", status });
        const error = await failure(c.make().complete(request()));
        expect(`${status}: ${error.kind} ${error.retryable}`).toBe(`${status}: ${kind} ${retryable}`);
      }
    });

    it("times out a call that never answers", async () => {
      c.fake().enqueue({ kind: "hang" });
      const started = Date.now();
      const error = await failure(c.make().complete(request({ timeoutMs: 300 })));
      expect(error.kind).toBe("timeout");
      expect(error.retryable).toBe(true);
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it("aborts mid-stream on the caller's signal", async () => {
      c.fake().enqueue({
        kind: "stream",
        text: "a slow answer that takes a while to arrive",
        chunks: 10,
        chunkDelayMs: 100,
      });
      const controller = new AbortController();
      const deltas: string[] = [];
      const error = await failure(
        c.make().complete(
          request({
            signal: controller.signal,
            onText: (d) => {
              deltas.push(d);
              if (deltas.length === 2) controller.abort(new Error("paused by the kill-switch"));
            },
          }),
        ),
      );
      expect(error.kind).toBe("aborted");
      expect(error.message).toMatch(/kill-switch/);
      expect(deltas.length).toBeLessThan(10);
    });

    it("reports a stream broken off mid-way and malformed tool arguments as bad responses", async () => {
      c.fake().enqueue({ kind: "broken", text: "half an answer and then" });
      const broken = await failure(c.make().complete(request()));
      expect(["bad_response", "network"]).toContain(broken.kind);
      expect(broken.retryable).toBe(true);
      c.fake().enqueue({
        kind: "stream",
        toolCalls: [{ name: "memory__search", args: {}, rawArgs: '{"query": ' }],
      });
      const malformed = await failure(c.make().complete(request()));
      expect(malformed.kind).toBe("bad_response");
    });
  });
}

describe("built-in provider", () => {
  it("answers the same request the same way, needs no network, and counts tokens", async () => {
    const provider = new BuiltinProvider();
    const r = request({
      tools: [],
      messages: [{ role: "user", content: "Task: Write a tagline\n\nInputs:\n```json\n{}\n```" }],
    });
    const a = await provider.complete(r);
    const b = await provider.complete({ ...r, signal: new AbortController().signal });
    expect(a).toEqual(b);
    expect(a.text).toContain("Write a tagline");
    expect(a.usage.inputTokens).toBeGreaterThan(0);
  });

  it("plays a script: tool calls, then an answer", async () => {
    const provider = new BuiltinProvider();
    const content =
      'Task: T\n\nInputs:\n```json\n{"script":[{"tool":"web.search","args":{"query":"x"}},{"answer":"done"}]}\n```';
    const first = await provider.complete(request({ messages: [{ role: "user", content }] }));
    expect(first.toolCalls).toMatchObject([{ name: "web.search", arguments: { query: "x" } }]);
    const second = await provider.complete(
      request({
        messages: [
          { role: "user", content },
          { role: "assistant", content: "", toolCalls: first.toolCalls },
          {
            role: "tool",
            toolCallId: first.toolCalls[0]!.id,
            name: "web.search",
            content: "{}",
            isError: false,
          },
        ],
      }),
    );
    expect(second.text).toBe("done");
  });

  it("honours timeouts and aborts", async () => {
    const slow = new BuiltinProvider({ latencyMs: 500 });
    expect((await failure(slow.complete(request({ timeoutMs: 50 })))).kind).toBe("timeout");
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("stop")), 20);
    expect((await failure(slow.complete(request({ signal: controller.signal })))).kind).toBe("aborted");
  });
});
