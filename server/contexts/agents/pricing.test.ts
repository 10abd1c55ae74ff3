import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { costOf, maxCallCost, maxInputTokens, priceOf } from "./pricing";

describe("model call pricing", () => {
  it("rounds up and never charges less than the tokens used", () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000_000 }), fc.nat({ max: 10_000_000 }), (input, output) => {
        const price = priceOf("anthropic", "claude-sonnet-4-5");
        const cost = costOf(price, { inputTokens: input, outputTokens: output });
        const exact =
          BigInt(input) * price.inputPerMillionMinor + BigInt(output) * price.outputPerMillionMinor;
        expect(cost * 1_000_000n >= exact).toBe(true);
        expect((cost - 1n) * 1_000_000n < exact || cost === 0n).toBe(true);
      }),
    );
  });

  it("holds at least what any call within its limits can cost", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 2_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.nat({ max: 100_000 }),
        (prompt, maxTokens, used) => {
          const request = {
            system: "system",
            messages: [{ role: "user" as const, content: prompt }],
            tools: [],
            maxTokens,
          };
          const price = priceOf("openai", "gpt-4o");
          const hold = maxCallCost(price, request);
          // A real call uses at most one token per input byte and at most maxTokens output tokens.
          const cost = costOf(price, {
            inputTokens: maxInputTokens(request),
            outputTokens: Math.min(used, maxTokens),
          });
          expect(hold >= cost).toBe(true);
          expect(hold > 0n).toBe(true);
        },
      ),
    );
  });
});
