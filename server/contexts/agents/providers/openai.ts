// OpenAI-compatible chat completions through the `openai` SDK (AGENT-004), streamed, with a
// configurable base URL so local servers (and the tests' fake server) work. The SDK's own retries
// are off: the orchestrator's retry policy owns retries, so one attempt is one metered call.
import OpenAI from "openai";
import type { ChatCompletionChunk, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import {
  type CompletionRequest,
  type CompletionResult,
  kindOfStatus,
  type ModelProvider,
  ProviderError,
  type ToolCallRequest,
  withDeadline,
} from "./types";
import { fromWireName, toWireName } from "./wire-names";

export type OpenAiOptions = { apiKey: string; baseURL?: string };

function toMessages(request: CompletionRequest): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = [{ role: "system", content: request.system }];
  for (const message of request.messages) {
    if (message.role === "user") out.push({ role: "user", content: message.content });
    else if (message.role === "assistant") {
      out.push({
        role: "assistant",
        content: message.content || null,
        ...(message.toolCalls.length > 0
          ? {
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: "function" as const,
                function: { name: toWireName(call.name), arguments: JSON.stringify(call.arguments) },
              })),
            }
          : {}),
      });
    } else {
      out.push({
        role: "tool",
        tool_call_id: message.toolCallId,
        content: message.isError ? `ERROR: ${message.content}` : message.content,
      });
    }
  }
  return out;
}

export class OpenAiProvider implements ModelProvider {
  readonly name = "openai" as const;
  private readonly client: OpenAI;

  constructor(options: OpenAiOptions) {
    this.client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseURL ?? null, maxRetries: 0 });
  }

  complete(request: CompletionRequest): Promise<CompletionResult> {
    return withDeadline(request, async (signal) => {
      let inputTokens = 0;
      let outputTokens = 0;
      try {
        const stream = await this.client.chat.completions.create(
          {
            model: request.model,
            max_tokens: request.maxTokens,
            messages: toMessages(request),
            ...(request.tools.length > 0
              ? {
                  tools: request.tools.map((tool) => ({
                    type: "function" as const,
                    function: {
                      name: toWireName(tool.name),
                      description: tool.description,
                      parameters: { type: "object", ...tool.inputSchema },
                    },
                  })),
                }
              : {}),
            stream: true,
            stream_options: { include_usage: true },
          },
          { signal, timeout: request.timeoutMs },
        );
        let text = "";
        let finish: string | null = null;
        const calls = new Map<number, { id: string; name: string; json: string }>();
        for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
          if (chunk.usage) {
            inputTokens = chunk.usage.prompt_tokens;
            outputTokens = chunk.usage.completion_tokens;
          }
          for (const choice of chunk.choices ?? []) {
            const delta = choice.delta;
            if (delta?.content) {
              text += delta.content;
              request.onText?.(delta.content);
            }
            for (const call of delta?.tool_calls ?? []) {
              const current = calls.get(call.index) ?? { id: "", name: "", json: "" };
              if (call.id) current.id = call.id;
              if (call.function?.name) current.name += call.function.name;
              if (call.function?.arguments) current.json += call.function.arguments;
              calls.set(call.index, current);
            }
            if (choice.finish_reason) finish = choice.finish_reason;
          }
        }
        // The SDK ends the stream quietly when its signal aborts: that is not a complete answer.
        if (signal.aborted) {
          throw new ProviderError("aborted", "the stream was aborted", {
            usage: { inputTokens, outputTokens },
          });
        }
        const toolCalls: ToolCallRequest[] = [...calls.values()].map((call) => {
          let args: unknown = {};
          try {
            args = call.json.trim() === "" ? {} : JSON.parse(call.json);
          } catch {
            throw new ProviderError("bad_response", `tool call ${call.id} carried invalid JSON arguments`, {
              usage: { inputTokens, outputTokens },
            });
          }
          return {
            id: call.id,
            name: fromWireName(call.name),
            arguments: (args ?? {}) as Record<string, unknown>,
          };
        });
        const stopReason: CompletionResult["stopReason"] =
          finish === "tool_calls" || toolCalls.length > 0
            ? "tool_use"
            : finish === "length"
              ? "max_tokens"
              : "end";
        return { text, toolCalls, usage: { inputTokens, outputTokens }, stopReason };
      } catch (error) {
        throw classify(error, { inputTokens, outputTokens });
      }
    });
  }
}

function classify(error: unknown, usage: { inputTokens: number; outputTokens: number }): unknown {
  if (error instanceof ProviderError) return error;
  if (error instanceof OpenAI.APIUserAbortError) return error; // withDeadline names it aborted or timeout
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new ProviderError("timeout", "The model server did not answer in time", { usage, cause: error });
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return new ProviderError("network", `The model server is unreachable: ${error.message}`, {
      usage,
      cause: error,
    });
  }
  if (error instanceof OpenAI.APIError) {
    return new ProviderError(
      kindOfStatus(error.status),
      `The model server answered ${error.status ?? "an error"}: ${error.message}`,
      {
        status: error.status,
        usage,
        cause: error,
      },
    );
  }
  return new ProviderError("bad_response", `The model stream failed: ${String(error)}`, {
    usage,
    cause: error,
  });
}
