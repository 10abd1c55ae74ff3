// Routing a node through its modality's provider chain (ARTIF-003): each provider in order, each
// call under a timeout, skipped while its circuit breaker is open; the first answer wins and every
// attempt — failed, timed out, skipped, refused by policy or budget — is recorded on the node.
// Every answer is stored by its request hash before it is used (ARTIF-002), so a replay can serve
// the same node from the record alone.
import { ProviderError } from "@/server/contexts/agents/api";
import type { ArtifactModality } from "@/server/shared/events/catalog/artifacts";
import { SpendRefused } from "../metering";
import { type NodeRequest, type PlannedNode, requestHash } from "../nodes";
import type { NodeResolution, StoredResponse } from "../store";
import type { CircuitBreakers } from "./breaker";
import type { ProviderChains } from "./config";
import type { ArtifactProvider, CallOptions, ProviderResult } from "./types";

export type AttemptOutcome = "ok" | "error" | "timeout" | "circuit_open" | "refused" | "aborted";

export type Attempt = {
  provider: string;
  model: string;
  outcome: AttemptOutcome;
  error: string | null;
  durationMs: number;
};

/** How a call goes out: straight to a free provider, through metering for a paid one. */
export type CallThrough = (
  provider: ArtifactProvider,
  request: NodeRequest,
  requestHash: string,
  options: CallOptions,
) => Promise<ProviderResult>;

/** Stores a provider's answer (blob first for images) and returns its stored form and hash. */
export type Recorder = (entry: {
  provider: ArtifactProvider;
  request: NodeRequest;
  requestHash: string;
  result: ProviderResult;
}) => Promise<{ response: StoredResponse; responseHash: string }>;

export class NodeFailed extends Error {
  override readonly name = "NodeFailed";
  constructor(
    readonly nodeId: string,
    message: string,
    readonly attempts: Attempt[],
  ) {
    super(message);
  }
}

export const chainKey = (p: { name: string; model: string }) => `${p.name}:${p.model}`;

export class ProviderRouter {
  constructor(
    readonly chains: ProviderChains,
    private readonly breakers: CircuitBreakers,
    private readonly timeoutMs: number,
  ) {}

  /** The chain as named in node hashes and manifests: "provider:model" in order. */
  chainOf(modality: ArtifactModality): string[] {
    return this.chains[modality].map(chainKey);
  }

  async resolve(
    node: PlannedNode,
    options: { signal: AbortSignal; callThrough: CallThrough; record: Recorder },
  ): Promise<{ resolution: NodeResolution; attempts: Attempt[] }> {
    const attempts: Attempt[] = [];
    const chain = this.chains[node.modality];
    for (const provider of chain) {
      if (options.signal.aborted) break;
      const key = `${node.modality}:${chainKey(provider)}`;
      const base = { provider: provider.name, model: provider.model };
      if (!this.breakers.tryPass(key)) {
        attempts.push({
          ...base,
          outcome: "circuit_open",
          error: "the circuit breaker is open",
          durationMs: 0,
        });
        continue;
      }
      const hash = requestHash(provider.name, provider.model, node.request);
      const started = performance.now();
      try {
        const result = await options.callThrough(provider, node.request, hash, {
          signal: options.signal,
          timeoutMs: this.timeoutMs,
        });
        if (result.output.modality !== node.modality) {
          throw new ProviderError(
            "bad_response",
            `answered ${result.output.modality} for a ${node.modality} node`,
          );
        }
        const { response, responseHash } = await options.record({
          provider,
          request: node.request,
          requestHash: hash,
          result,
        });
        this.breakers.success(key);
        attempts.push({
          ...base,
          outcome: "ok",
          error: null,
          durationMs: Math.round(performance.now() - started),
        });
        return {
          resolution: {
            provider: provider.name,
            model: provider.model,
            requestHash: hash,
            responseHash,
            response,
          },
          attempts,
        };
      } catch (error) {
        const durationMs = Math.round(performance.now() - started);
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof SpendRefused) {
          // Not the provider's fault: its breaker stays as it was.
          attempts.push({ ...base, outcome: "refused", error: message, durationMs });
          continue;
        }
        const kind = error instanceof ProviderError ? error.kind : "error";
        if (kind === "aborted") {
          attempts.push({ ...base, outcome: "aborted", error: message, durationMs });
          break;
        }
        this.breakers.failure(key);
        attempts.push({
          ...base,
          outcome: kind === "timeout" ? "timeout" : "error",
          error: message.slice(0, 500),
          durationMs,
        });
      }
    }
    const summary = attempts
      .map((a) => `${a.provider}:${a.model} ${a.outcome}${a.error ? ` (${a.error})` : ""}`)
      .join("; ");
    throw new NodeFailed(
      node.id,
      `No provider answered node ${node.id}: ${summary || "the chain is empty"}`,
      attempts,
    );
  }
}
