// What a model call costs, in minor units of the venture's currency (the table is in US cents per
// million tokens; other currencies use the same figures until a rate source exists). bigint all
// the way, rounded up: a call is never charged less than it used.

import type { CompletionRequest, Usage } from "./providers/types";
import type { ProviderName } from "./roles";

export type Price = { inputPerMillionMinor: bigint; outputPerMillionMinor: bigint };

const table: Record<string, Price> = {
  "builtin:*": { inputPerMillionMinor: 100n, outputPerMillionMinor: 400n },
  "anthropic:*": { inputPerMillionMinor: 300n, outputPerMillionMinor: 1_500n },
  "anthropic:claude-haiku-4-5": { inputPerMillionMinor: 100n, outputPerMillionMinor: 500n },
  "anthropic:claude-opus-4-1": { inputPerMillionMinor: 1_500n, outputPerMillionMinor: 7_500n },
  "openai:*": { inputPerMillionMinor: 250n, outputPerMillionMinor: 1_000n },
  "openai:gpt-4o-mini": { inputPerMillionMinor: 15n, outputPerMillionMinor: 60n },
};

export function priceOf(provider: ProviderName, model: string): Price {
  return table[`${provider}:${model}`] ?? table[`${provider}:*`]!;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a + b - 1n) / b;
}

export function costOf(price: Price, usage: Usage): bigint {
  return ceilDiv(
    BigInt(usage.inputTokens) * price.inputPerMillionMinor +
      BigInt(usage.outputTokens) * price.outputPerMillionMinor,
    1_000_000n,
  );
}

/**
 * An upper bound of the input tokens of a request: one token per UTF-8 byte of everything sent.
 * Tokenizers put several bytes in a token, so the hold is never smaller than the call.
 */
export function maxInputTokens(request: Pick<CompletionRequest, "system" | "messages" | "tools">): number {
  return (
    Buffer.byteLength(request.system, "utf8") +
    Buffer.byteLength(JSON.stringify(request.messages), "utf8") +
    Buffer.byteLength(JSON.stringify(request.tools), "utf8") +
    64
  );
}

/** The most a call can cost: every input byte a token, and every allowed output token used. */
export function maxCallCost(
  price: Price,
  request: Pick<CompletionRequest, "system" | "messages" | "tools" | "maxTokens">,
): bigint {
  const cost = costOf(price, { inputTokens: maxInputTokens(request), outputTokens: request.maxTokens });
  // A hold must be positive; even a free call reserves one minor unit while it runs.
  return cost > 0n ? cost : 1n;
}
