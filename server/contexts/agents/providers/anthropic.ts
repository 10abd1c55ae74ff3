// Anthropic through @anthropic-ai/sdk (AGENT-004): the Messages API, streamed, with the SDK's own
// retries off (the orchestrator's retry policy owns retries, so one attempt is one metered call)
// and our deadline and abort signal on every call. The base URL is configurable, which is also how
// the tests point the real SDK at a local fake server that speaks the same API.
import Anthropic from "@anthropic-ai/sdk";
import type { MessageParam, RawMessageStreamEvent } from "@anthropic-ai/sdk/resources/messages/messages";
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

export type AnthropicOptions = { apiKey: string; baseURL?: string };

function toMessages(request: CompletionRequest): MessageParam[] {
  const out: MessageParam[] = [];
  for (const message of request.messages) {
    if (message.role === "user") out.push({ role: "user", content: message.content });
    else if (message.role === "assistant") {
      out.push({
        role: "assistant",
        content: [
          ...(message.content ? [{ type: "text" as const, text: message.content }] : []),
          ...message.toolCalls.map((call) => ({
            type: "tool_use" as const,
            id: call.id,
            name: toWireName(call.name),
            input: call.arguments,
          })),
        ],
      });
    } else {
      const block = {
        type: "tool_result" as const,
        tool_use_id: message.toolCallId,
        content: message.content,
        is_error: message.isError,
      };
      // Consecutive tool results travel in one user turn, as the API expects.
      const last = out.at(-1);
      if (last?.role === "user" && Array.isArray(last.content)) (last.content as unknown[]).push(block);
      else out.push({ role: "user", content: [block] });
    }
  }
  return out;
}

export class AnthropicProvider implements ModelProvider {
  readonly name = "anthropic" as const;
  private readonly client: Anthropic;

  constructor(options: AnthropicOptions) {
    this.client = new Anthropic({ apiKey: options.apiKey, baseURL: options.baseURL ?? null, maxRetries: 0 });
  }

  complete(request: CompletionRequest): Promise<CompletionResult> {
    return withDeadline(request, async (signal) => {
      let inputTokens = 0;
      let outputTokens = 0;
      try {
        const stream = await this.client.messages.create(
          {
            model: request.model,
            max_tokens: request.maxTokens,
            system: request.system,
            messages: toMessages(request),
            ...(request.tools.length > 0
              ? {
                  tools: request.tools.map((tool) => ({
                    name: toWireName(tool.name),
                    description: tool.description,
                    input_schema: { type: "object" as const, ...tool.inputSchema },
                  })),
                }
              : {}),
            stream: true,
          },
          { signal, timeout: request.timeoutMs },
        );
        let text = "";
        let stopReason: CompletionResult["stopReason"] = "end";
        const blocks = new Map<number, { id: string; name: string; json: string }>();
        for await (const event of stream as AsyncIterable<RawMessageStreamEvent>) {
          switch (event.type) {
            case "message_start":
              inputTokens = event.message.usage.input_tokens;
              outputTokens = event.message.usage.output_tokens;
              break;
            case "content_block_start":
              if (event.content_block.type === "tool_use") {
                blocks.set(event.index, {
                  id: event.content_block.id,
                  name: event.content_block.name,
                  json: "",
                });
              } else if (event.content_block.type === "text" && event.content_block.text) {
                text += event.content_block.text;
                request.onText?.(event.content_block.text);
              }
              break;
            case "content_block_delta":
              if (event.delta.type === "text_delta") {
                text += event.delta.text;
                request.onText?.(event.delta.text);
              } else if (event.delta.type === "input_json_delta") {
                const block = blocks.get(event.index);
                if (block) block.json += event.delta.partial_json;
              }
              break;
            case "message_delta":
              outputTokens = event.usage.output_tokens ?? outputTokens;
              if (event.usage.input_tokens != null) inputTokens = event.usage.input_tokens;
              if (event.delta.stop_reason === "tool_use") stopReason = "tool_use";
              else if (event.delta.stop_reason === "max_tokens") stopReason = "max_tokens";
              break;
            default:
              break;
          }
        }
        // The SDK ends the stream quietly when its signal aborts: that is not a complete answer.
        if (signal.aborted) {
          throw new ProviderError("aborted", "the stream was aborted", {
            usage: { inputTokens, outputTokens },
          });
        }
        const toolCalls: ToolCallRequest[] = [...blocks.values()].map((block) => {
          let args: unknown = {};
          try {
            args = block.json.trim() === "" ? {} : JSON.parse(block.json);
          } catch {
            throw new ProviderError("bad_response", `tool_use ${block.id} carried invalid JSON arguments`, {
              usage: { inputTokens, outputTokens },
            });
          }
          return {
            id: block.id,
            name: fromWireName(block.name),
            arguments: (args ?? {}) as Record<string, unknown>,
          };
        });
        return { text, toolCalls, usage: { inputTokens, outputTokens }, stopReason };
      } catch (error) {
        throw classify(error, { inputTokens, outputTokens });
      }
    });
  }
}

function classify(error: unknown, usage: { inputTokens: number; outputTokens: number }): unknown {
  if (error instanceof ProviderError) return error;
  if (error instanceof Anthropic.APIUserAbortError) return error; // withDeadline names it aborted or timeout
  if (error instanceof Anthropic.APIConnectionTimeoutError) {
    return new ProviderError("timeout", "Anthropic did not answer in time", { usage, cause: error });
  }
  if (error instanceof Anthropic.APIConnectionError) {
    return new ProviderError("network", `Anthropic is unreachable: ${error.message}`, {
      usage,
      cause: error,
    });
  }
  if (error instanceof Anthropic.APIError) {
    return new ProviderError(
      kindOfStatus(error.status),
      `Anthropic answered ${error.status ?? "an error"}: ${error.message}`,
      {
        status: error.status,
        usage,
        cause: error,
      },
    );
  }
  return new ProviderError("bad_response", `Anthropic stream failed: ${String(error)}`, {
    usage,
    cause: error,
  });
}
