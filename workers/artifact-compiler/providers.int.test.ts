// Provider routing with fallback (ARTIF-003) through the whole pipeline, with the real SDKs against
// local fake servers (test/fakes): the primary provider fails, times out, or is refused by the
// treasury policy → the next one answers and every attempt is recorded on the node; a paid call is
// held on the venture's budget and settled at its real cost; the answer is stored by its request
// hash, so a rebuild comes from the cache and a replay from the record, without calling anyone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createArtifact } from "@/server/contexts/artifacts/create-artifact";
import { getBuild } from "@/server/contexts/artifacts/get-build";
import { CircuitBreakers } from "@/server/contexts/artifacts/providers/breaker";
import {
  BuiltinImageProvider,
  BuiltinTextProvider,
  BuiltinVideoProvider,
} from "@/server/contexts/artifacts/providers/builtin";
import { makeProvider } from "@/server/contexts/artifacts/providers/config";
import type { PageRenderer } from "@/server/contexts/artifacts/render/renderer";
import { requestBuild } from "@/server/contexts/artifacts/request-build";
import { portfolioWithPolicies, readyVenture } from "@/server/contexts/orchestration/testing/fixtures";
import { allowCounterparty } from "@/server/contexts/treasury/intents/api";
import { startFakeAnthropic } from "@/test/fakes/anthropic";
import type { FakeServer } from "@/test/fakes/fake-server";
import { type FakeImagesServer, startFakeImages } from "@/test/fakes/images";
import { startFakeOpenAi } from "@/test/fakes/openai";
import { openTestServices, type TestServices } from "@/test/services";
import { type CompilerStack, startCompilerStack, testRenderer, waitForBuild } from "./testing";

let s: TestServices;
let renderer: PageRenderer;
let stack: CompilerStack;
let openai: FakeServer;
let anthropic: FakeServer;
let images: FakeImagesServer;
let portfolioId: string;
let ventureId: string;
const founder = { type: "user" as const, id: "usr_founder" };

beforeAll(async () => {
  s = await openTestServices();
  [openai, anthropic, images] = await Promise.all([
    startFakeOpenAi(),
    startFakeAnthropic(),
    startFakeImages(),
  ]);
  portfolioId = await portfolioWithPolicies(s.db);
  ventureId = await readyVenture(s.db, portfolioId, { budgetMinor: 100_000n });
  // The treasury policy pays only allowlisted counterparties: OpenAI and Google are, Anthropic is not.
  await allowCounterparty({ db: s.db, ventureId, counterpartyId: "openai" });
  await allowCounterparty({ db: s.db, ventureId, counterpartyId: "google" });
  const credentials = {
    anthropic: { apiKey: "sk-ant-test", baseURL: anthropic.url },
    openai: { apiKey: "sk-test", baseURL: `${openai.url}/v1` },
    google: { apiKey: "g-test", baseURL: images.url },
  };
  const openaiImages = { ...credentials, openai: { apiKey: "sk-test", baseURL: `${images.url}/v1` } };
  renderer = testRenderer(s);
  stack = await startCompilerStack(s, {
    renderer,
    timeoutMs: 800,
    breakers: new CircuitBreakers({ failureThreshold: 50 }),
    chains: {
      text: [
        makeProvider("text", "anthropic:claude-test", credentials),
        makeProvider("text", "openai:gpt-test", credentials),
        new BuiltinTextProvider(),
      ],
      image: [
        makeProvider("image", "openai:gpt-image-test", openaiImages),
        makeProvider("image", "google:imagen-test", credentials),
        new BuiltinImageProvider(),
      ],
      // The video-brief adapter: a text model plans the storyboard; the built-in one is the fallback.
      video: [makeProvider("video", "openai:gpt-test", credentials), new BuiltinVideoProvider()],
    },
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await renderer?.close();
  await Promise.all([openai?.close(), anthropic?.close(), images?.close()]);
  await s?.close();
});

function documentIr(title: string) {
  return {
    irVersion: 1,
    kind: "document",
    title,
    sections: [
      {
        id: "intro",
        heading: "Introduction",
        blocks: [
          { type: "text", text: { generate: { prompt: `Introduce ${title}`, maxWords: 40 } } },
          { type: "image", image: { prompt: `Cover of ${title}`, alt: title, width: 320, height: 180 } },
        ],
      },
    ],
  };
}

async function buildOf(
  artifactId: string,
  extra: { mode?: "build" | "replay"; sourceBuildId?: string } = {},
) {
  const requested = await requestBuild({
    db: s.db,
    actor: founder,
    role: "founder",
    correlationId: "cor_providers",
    ventureId,
    artifactId,
    ...extra,
  });
  expect(await waitForBuild(s.db, requested.id, 60_000)).toEqual({ status: "succeeded", error: null });
  return getBuild({ db: s.db, ventureId, artifactId, buildId: requested.id });
}

async function newArtifact(title: string) {
  return (
    await createArtifact({
      db: s.db,
      actor: founder,
      correlationId: "cor_providers",
      ventureId,
      ir: documentIr(title),
    })
  ).id;
}

const outcomes = (node: { attempts: Array<{ provider: string; outcome: string }> }) =>
  node.attempts.map((a) => `${a.provider}:${a.outcome}`);

async function providerCalls(buildId: string) {
  return s.db.$queryRawUnsafe<
    Array<{ provider: string; model: string; status: string; cost_minor: bigint; max_cost_minor: bigint }>
  >(
    "SELECT provider, model, status, cost_minor, max_cost_minor FROM artifact_provider_calls WHERE build_id = $1 ORDER BY started_at, provider",
    buildId,
  );
}

describe("fallback along the provider chain", () => {
  it("falls back when the primary fails, records every attempt, and charges nothing for a failed call", async () => {
    openai.enqueue({ kind: "error", status: 500, message: "overloaded" });
    images.enqueue("openai", { kind: "error", status: 500, message: "image backend down" });
    images.enqueue("google", { kind: "image", width: 320, height: 180 });
    const anthropicBefore = anthropic.requests.length;
    const artifactId = await newArtifact("Fallback report");
    const build = await buildOf(artifactId);
    const text = build.nodes.find((n) => n.modality === "text")!;
    const image = build.nodes.find((n) => n.modality === "image")!;
    expect(outcomes(text)).toEqual(["anthropic:refused", "openai:error", "builtin:ok"]);
    expect(text.attempts[0]!.error).toContain("counterparty is not on the venture's allowlist");
    expect(text.attempts[1]!.error).toContain("500");
    expect(text.provider).toBe("builtin");
    expect(outcomes(image)).toEqual(["openai:error", "google:ok"]);
    expect(image.provider).toBe("google");
    // The refused call never reached Anthropic; the fallbacks are in the build log.
    expect(anthropic.requests.length).toBe(anthropicBefore);
    expect(build.log.some((l) => l.level === "warn" && l.message.includes("fell back"))).toBe(true);
    const calls = await providerCalls(build.id);
    expect(calls.map((c) => `${c.provider}:${c.status}:${c.cost_minor}`).sort()).toEqual([
      "anthropic:refused:0",
      "google:ok:3",
      "openai:error:0",
      "openai:error:0",
    ]);
    const events = await s.db.$queryRawUnsafe<Array<{ type: string }>>(
      "SELECT type FROM event_log WHERE type LIKE 'artifacts.provider_call_%' AND envelope LIKE $1",
      `%${build.id}%`,
    );
    expect(events.map((e) => e.type).sort()).toEqual([
      "artifacts.provider_call_completed",
      "artifacts.provider_call_completed",
      "artifacts.provider_call_completed",
      "artifacts.provider_call_refused",
    ]);
    // Nothing stays held on the budget.
    const [pending] = await s.db.$queryRawUnsafe<Array<{ pending: bigint; posted: bigint }>>(
      "SELECT debits_pending AS pending, debits_posted AS posted FROM ledger_accounts WHERE id = $1",
      `${ventureId}:expense:models:USD`,
    );
    expect(pending!.pending).toBe(0n);
    expect(pending!.posted).toBeGreaterThanOrEqual(3n);
  });

  it("moves on when the primary times out", async () => {
    openai.enqueue({ kind: "hang" });
    const artifactId = await newArtifact("Timeout report");
    const build = await buildOf(artifactId);
    const text = build.nodes.find((n) => n.modality === "text")!;
    expect(outcomes(text)).toEqual(["anthropic:refused", "openai:timeout", "builtin:ok"]);
    expect(text.attempts[1]!.error).toContain("timed out after 800 ms");
  });

  it("uses a paid answer, then serves it from the cache and the record without calling again", async () => {
    openai.enqueue({
      kind: "stream",
      text: "A fresh introduction written by the model.",
      usage: { input: 120, output: 40 },
    });
    const artifactId = await newArtifact("Model report");
    const first = await buildOf(artifactId);
    const text = first.nodes.find((n) => n.modality === "text")!;
    expect(text.provider).toBe("openai");
    expect(text.model).toBe("gpt-test");
    expect(text.output.text).toBe("A fresh introduction written by the model.");
    const paid = (await providerCalls(first.id)).filter((c) => c.model === "gpt-test");
    // Price of openai:* per million tokens: 250 in, 1,000 out, rounded up.
    expect(paid.map((c) => [c.status, c.cost_minor])).toEqual([
      ["ok", (120n * 250n + 40n * 1_000n + 999_999n) / 1_000_000n],
    ]);
    expect(paid[0]!.max_cost_minor).toBeGreaterThanOrEqual(paid[0]!.cost_minor);

    const requestsBefore = openai.requests.length + images.requests.length;
    const again = await buildOf(artifactId);
    expect(again.nodesCached).toBe(again.nodesTotal);
    const replay = await buildOf(artifactId, { mode: "replay", sourceBuildId: first.id });
    expect(openai.requests.length + images.requests.length).toBe(requestsBefore);
    expect(again.buildHash).toBe(first.buildHash);
    expect(replay.buildHash).toBe(first.buildHash);
    expect(replay.bundleSha256).toBe(first.bundleSha256);
    expect(replay.nodes.find((n) => n.modality === "text")!.provider).toBe("openai");
    expect(first.manifest!.nodes.find((n) => n.modality === "text")).toMatchObject({
      provider: "openai",
      model: "gpt-test",
    });
    expect(first.manifest!.nodes.find((n) => n.modality === "text")!.prompt).toContain(
      "Introduce Model report",
    );
  });
});

describe("the video-brief adapter", () => {
  const videoIr = (title: string) => ({
    irVersion: 1,
    kind: "video_brief",
    title,
    logline: "Kids build a robot in one afternoon",
    durationSeconds: 30,
    scenes: [
      { id: "open", description: "A classroom, boxes of parts on the tables", durationSeconds: 10 },
      {
        id: "build",
        description: "The robot takes its first steps",
        durationSeconds: 20,
        voiceover: "It walks!",
      },
    ],
  });

  async function videoArtifact(title: string) {
    return (
      await createArtifact({
        db: s.db,
        actor: founder,
        correlationId: "cor_video",
        ventureId,
        ir: videoIr(title),
      })
    ).id;
  }

  it("plans the storyboard with the model through the real SDK and the fake server", async () => {
    const before = openai.requests.length;
    openai.enqueue({
      kind: "stream",
      text: JSON.stringify({
        shots: [
          {
            sceneId: "open",
            durationSeconds: 10,
            camera: "wide",
            description: "Parts on tables",
            voiceover: null,
            keyframePrompt: "classroom, parts",
          },
          {
            sceneId: "build",
            durationSeconds: 12,
            camera: "close-up",
            description: "First step",
            voiceover: "It walks!",
            keyframePrompt: "robot foot",
          },
          {
            sceneId: "build",
            durationSeconds: 8,
            camera: "tracking",
            description: "Cheering",
            voiceover: null,
            keyframePrompt: "kids cheering",
          },
        ],
      }),
      usage: { input: 300, output: 120 },
    });
    const build = await buildOf(await videoArtifact("Robot day"));
    const video = build.nodes.find((n) => n.modality === "video")!;
    expect(outcomes(video)).toEqual(["openai:ok"]);
    expect(video.provider).toBe("openai");
    expect(openai.requests.length).toBe(before + 1);
    // The storyboard the model planned is rendered and signed into the manifest.
    expect(build.outputs.map((o) => o.name)).toContain("index.html");
    expect(build.manifest!.nodes.find((n) => n.modality === "video")).toMatchObject({
      provider: "openai",
      model: "gpt-test",
    });
    const calls = await providerCalls(build.id);
    expect(calls.filter((c) => c.provider === "openai" && c.status === "ok")).toHaveLength(1);
  });

  it("falls back to the built-in storyboard when the model answers with something that is not a storyboard", async () => {
    openai.enqueue({
      kind: "stream",
      text: "Sure! Here is a lovely storyboard.",
      usage: { input: 300, output: 10 },
    });
    const build = await buildOf(await videoArtifact("Robot day, take two"));
    const video = build.nodes.find((n) => n.modality === "video")!;
    expect(video.provider).toBe("builtin");
    expect(video.attempts[0]!.provider).toBe("openai");
    expect(video.attempts[0]!.outcome).not.toBe("ok");
    expect(video.attempts[0]!.error).toContain("storyboard is not JSON");
  });
});
