// The one interface every model provider implements (AGENT-004): a provider-neutral conversation
// in, text and tool calls out, with token usage for metering. Streaming, cancellation (AbortSignal)
// and a timeout are part of every call; errors are classified once so the runtime knows what a
// retry can fix.
import type { ProviderName } from "../roles";

export type ToolSpec = {
  name: string;
  description: string;
  /** JSON Schema of the arguments. */
  inputSchema: Record<string, unknown>;
};

export type ToolCallRequest = { id: string; name: string; arguments: Record<string, unknown> };

export type ChatMessage =
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; toolCalls: ToolCallRequest[] }
  | { role: "tool"; toolCallId: string; name: string; content: string; isError: boolean };

export type CompletionRequest = {
  model: string;
  system: string;
  messages: ChatMessage[];
  tools: ToolSpec[];
  maxTokens: number;
  /** Aborts the call: the kill-switch, a paused task, the attempt's timeout. */
  signal: AbortSignal;
  /** Longest the call may take, streaming included. */
  timeoutMs: number;
  /** Streamed text as it arrives. */
  onText?: (delta: string) => void;
};

export type Usage = { inputTokens: number; outputTokens: number };

export type CompletionResult = {
  text: string;
  toolCalls: ToolCallRequest[];
  usage: Usage;
  stopReason: "end" | "tool_use" | "max_tokens";
};

export interface ModelProvider {
  readonly name: ProviderName;
  complete(request: CompletionRequest): Promise<CompletionResult>;
}

export const providerErrorKinds = [
  "timeout",
  "aborted",
  "rate_limited",
  "server",
  "network",
  "bad_request",
  "auth",
  "bad_response",
] as const;
export type ProviderErrorKind = (typeof providerErrorKinds)[number];

/** A failed model call, classified. `usage` is what was consumed before it failed (metered). */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly options: { status?: number; usage?: Usage; cause?: unknown } = {},
  ) {
    super(message);
  }

  /** Whether another attempt may succeed: transient conditions yes; our request or key no. */
  get retryable(): boolean {
    return (
      this.kind === "timeout" ||
      this.kind === "rate_limited" ||
      this.kind === "server" ||
      this.kind === "network" ||
      this.kind === "bad_response"
    );
  }
}

/**
 * Runs fn with a signal that aborts on the caller's signal or after timeoutMs, and turns the
 * abort into a ProviderError of kind "aborted" or "timeout" whatever the SDK threw.
 */
export async function withDeadline<T>(
  request: Pick<CompletionRequest, "signal" | "timeoutMs">,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (request.signal.aborted)
    throw new ProviderError("aborted", `aborted before the call: ${reasonOf(request.signal)}`);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`timed out after ${request.timeoutMs} ms`));
  }, request.timeoutMs);
  const onAbort = () => controller.abort(request.signal.reason);
  request.signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await fn(controller.signal);
  } catch (error) {
    // Keep what was consumed before the stop: it is metered like any other usage.
    const usage = error instanceof ProviderError ? error.options.usage : undefined;
    if (timedOut)
      throw new ProviderError("timeout", `the model call timed out after ${request.timeoutMs} ms`, {
        cause: error,
        usage,
      });
    if (request.signal.aborted) {
      throw new ProviderError("aborted", `the model call was aborted: ${reasonOf(request.signal)}`, {
        cause: error,
        usage,
      });
    }
    throw error;
  } finally {
    clearTimeout(timer);
    request.signal.removeEventListener("abort", onAbort);
  }
}

export function reasonOf(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : String(reason ?? "aborted");
}

/** Maps an HTTP status from a provider to an error kind. */
export function kindOfStatus(status: number | undefined): ProviderErrorKind {
  if (status === undefined) return "network";
  if (status === 401 || status === 403) return "auth";
  if (status === 408) return "timeout";
  if (status === 429) return "rate_limited";
  if (status >= 500) return "server";
  return "bad_request";
}
