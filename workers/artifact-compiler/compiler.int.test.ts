// The artifact compiler end to end on the real services: artifacts registered through tRPC, builds
// requested as events, relayed over JetStream, compiled by the consumer with the built-in providers
// and the real Chromium; determinism of rebuild and replay; provenance verified offline; the PDF's
// text; bad IR; review with separation of duties; publishing refused by the Cedar policy with the
// reason, and a published page served by its path.
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPublishedPage } from "@/server/contexts/artifacts/api";
import type { PageRenderer } from "@/server/contexts/artifacts/render/renderer";
import { readZip } from "@/server/contexts/artifacts/render/zip";
import { landingPageIr } from "@/server/contexts/artifacts/testing";
import { verifyArtifactBundle } from "@/server/contexts/artifacts/verify-bundle";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { seedDefaultPolicies } from "@/server/contexts/policy/seed-default-policies";
import { type RoleFixture, roleFixture } from "@/server/trpc/fixtures";
import { pdfText } from "@/test/pdf-text";
import { openTestServices, type TestServices } from "@/test/services";
import { type CompilerStack, startCompilerStack, testRenderer, waitForBuild } from "./testing";

let s: TestServices;
let f: RoleFixture;
let ventureId: string;
let ventureSlug: string;
let renderer: PageRenderer;
let stack: CompilerStack;

beforeAll(async () => {
  s = await openTestServices();
  f = await roleFixture(s.db);
  const actor = { type: "system" as const, id: "test" };
  await seedDefaultPolicies({ db: s.db, actor, correlationId: "cor_artifacts", portfolioId: f.portfolioId });
  const venture = await createVenture({
    db: s.db,
    actor,
    correlationId: "cor_artifacts",
    portfolioId: f.portfolioId,
    name: `Kits ${Math.random().toString(36).slice(2, 7)}`,
    goal: null,
  });
  ventureId = venture.id;
  ventureSlug = venture.slug;
  renderer = testRenderer(s);
  stack = await startCompilerStack(s, { renderer });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await renderer?.close();
  await s?.close();
});

async function build(artifactId: string, extra: { mode?: "build" | "replay"; sourceBuildId?: string } = {}) {
  const requested = await f.caller("founder").artifacts.requestBuild({ ventureId, artifactId, ...extra });
  expect(await waitForBuild(s.db, requested.id, 60_000)).toEqual({ status: "succeeded", error: null });
  return f.caller("founder").artifacts.getBuild({ ventureId, artifactId, buildId: requested.id });
}

async function file(artifactId: string, buildId: string, name: string): Promise<Buffer> {
  const out = await f.caller("auditor").artifacts.buildFile({ ventureId, artifactId, buildId, name });
  return Buffer.from(out.base64, "base64");
}

async function codeOf(
  promise: Promise<unknown>,
): Promise<{ code: string; message: string; fields?: unknown }> {
  try {
    await promise;
    return { code: "ok", message: "" };
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    const cause = error.cause as { details?: { fields?: unknown } } | undefined;
    return { code: error.code, message: error.message, fields: cause?.details?.fields };
  }
}

describe("building a landing page", () => {
  let artifactId: string;
  let first: Awaited<ReturnType<typeof build>>;

  it("registers the IR content-addressed and builds HTML, Markdown, PDF, PNG and a signed bundle", async () => {
    const created = await f.caller("founder").artifacts.create({ ventureId, ir: landingPageIr() as never });
    artifactId = created.id;
    expect(created).toMatchObject({
      status: "draft",
      currentVersion: 1,
      kind: "landing_page",
      slug: "solar-kits-for-schools",
    });
    first = await build(artifactId);
    expect(first.nodesTotal).toBe(15);
    expect(first.nodesCached).toBe(0);
    expect(first.nodes.every((n) => n.provider === "builtin" && n.attempts.at(-1)?.outcome === "ok")).toBe(
      true,
    );
    expect(first.outputs.map((o) => o.name).filter((n) => !n.startsWith("assets/"))).toEqual([
      "artifact.md",
      "artifact.pdf",
      "index.html",
      "preview.png",
    ]);
    expect(first.signature).toMatchObject({ valid: true, problem: null });
    expect(first.log.map((l) => l.message).join("\n")).toMatch(/Printing the PDF/);
    const html = (await file(artifactId, first.id, "index.html")).toString("utf8");
    expect(html).toContain("<title>Solar Kits for Schools</title>");
    const png = await file(artifactId, first.id, "preview.png");
    expect(png.subarray(1, 4).toString("ascii")).toBe("PNG");
  });

  it("exports a PDF whose text contains the title", async () => {
    const pdf = await file(artifactId, first.id, "artifact.pdf");
    expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(pdfText(pdf)).toContain("Solar Kits for Schools");
    expect(pdfText(pdf)).toContain("Reason 9");
  });

  it("rebuilds from the node cache and replays from the record to identical bytes and build hash", async () => {
    const second = await build(artifactId);
    expect(second.nodesCached).toBe(second.nodesTotal);
    const replay = await build(artifactId, { mode: "replay", sourceBuildId: first.id });
    for (const other of [second, replay]) {
      expect(other.buildHash).toBe(first.buildHash);
      expect(other.bundleSha256).toBe(first.bundleSha256);
      expect(other.outputs).toEqual(first.outputs);
      expect(other.manifestSha256).toBe(first.manifestSha256);
    }
    expect(replay.nodes.every((n) => n.attempts[0]?.error === "replayed from the record")).toBe(true);
    for (const name of ["artifact.pdf", "preview.png", "index.html"]) {
      expect((await file(artifactId, replay.id, name)).equals(await file(artifactId, first.id, name))).toBe(
        true,
      );
    }
  });

  it("rebuilds only the nodes whose IR changed", async () => {
    const ir = landingPageIr();
    (ir.sections[3]!.blocks[0] as { text: unknown }).text = {
      generate: { prompt: "A changed prompt", maxWords: 60 },
    };
    await f.caller("founder").artifacts.addVersion({ ventureId, artifactId, ir: ir as never });
    const next = await build(artifactId);
    expect(next.nodesCached).toBe(next.nodesTotal - 1);
    expect(next.nodes.filter((n) => !n.cached).map((n) => n.nodeId)).toEqual(["section-3.0"]);
    expect(next.buildHash).not.toBe(first.buildHash);
    const diff = await f.caller("auditor").artifacts.diff({ ventureId, artifactId, from: 1, to: 2 });
    expect(diff.lines.filter((l) => l.op === "added").map((l) => l.text.trim())).toEqual([
      '"prompt": "A changed prompt",',
    ]);
  });

  it("produces a bundle that verifies offline, and names a tampered file", async () => {
    const bundle = await f
      .caller("auditor")
      .artifacts.bundleFile({ ventureId, artifactId, buildId: first.id });
    const fs = await import("node:fs");
    const bytes = fs.readFileSync(bundle.filePath);
    const report = verifyArtifactBundle(bytes);
    expect(report.ok).toBe(true);
    const entries = readZip(bytes);
    const { writeZip } = await import("@/server/contexts/artifacts/render/zip");
    const tampered = writeZip(
      entries.map((e) =>
        e.name === "index.html"
          ? { name: e.name, data: Buffer.from(e.data.toString().replace("Reason 2", "Reason 3")) }
          : e,
      ),
    );
    const bad = verifyArtifactBundle(tampered);
    expect(bad).toMatchObject({ ok: false, file: "index.html", reason: "hash_mismatch" });
    // The same checks through `npx venture verify <file>` (exit 0 / 1).
    const { runVerifyCommand } = await import("@/server/contexts/compliance/verify-pack-command");
    const os = await import("node:os");
    const path = await import("node:path");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "venture-bundle-"));
    fs.writeFileSync(path.join(dir, "good.zip"), bytes);
    fs.writeFileSync(path.join(dir, "bad.zip"), tampered);
    const log = console.log;
    const error = console.error;
    const lines: string[] = [];
    console.log = (line: string) => lines.push(line);
    console.error = (line: string) => lines.push(line);
    try {
      expect(await runVerifyCommand([path.join(dir, "good.zip")])).toBe(0);
      expect(await runVerifyCommand([path.join(dir, "bad.zip"), "--quiet"])).toBe(1);
      expect(
        await runVerifyCommand([path.join(dir, "good.zip"), "--key", "ak_000000000000000000000000"]),
      ).toBe(1);
    } finally {
      console.log = log;
      console.error = error;
    }
    expect(lines.join("\n")).toMatch(
      /OK: artifact bundle .* verified: landing_page "Solar Kits for Schools" v1/,
    );
    expect(lines.join("\n")).toContain("FAILED: index.html: hash_mismatch");
    expect(lines.join("\n")).toContain("unpinned_key");
  });
});

describe("invalid input", () => {
  it("refuses a bad IR naming the field, and writes nothing", async () => {
    const countArtifacts = async () =>
      (await s.db.$queryRawUnsafe<Array<{ n: bigint }>>("SELECT count(*) AS n FROM artifact_versions"))[0]!.n;
    const before = await countArtifacts();
    const ir = landingPageIr({ sections: 2 });
    (ir.sections[1]!.blocks[0] as { text: unknown }).text = "";
    const result = await codeOf(f.caller("founder").artifacts.create({ ventureId, ir: ir as never }));
    expect(result.code).toBe("BAD_REQUEST");
    expect(result.message).toContain("ir.sections.1.blocks.0.text");
    const duplicate = landingPageIr({ sections: 2 });
    duplicate.sections[1]!.id = "hero";
    const dup = await codeOf(f.caller("founder").artifacts.create({ ventureId, ir: duplicate as never }));
    expect(dup.code).toBe("BAD_REQUEST");
    expect(dup.message).toContain("ir.sections.1.id: duplicate id hero");
    const unknownBlock = landingPageIr({ sections: 1 }) as { sections: Array<{ blocks: unknown[] }> };
    unknownBlock.sections[0]!.blocks[0] = { type: "video", src: "x" };
    const bad = await codeOf(f.caller("founder").artifacts.create({ ventureId, ir: unknownBlock as never }));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toContain("ir.sections.0.blocks.0");
    expect(await countArtifacts()).toBe(before);
  });

  it("refuses an auditor and a member of another portfolio", async () => {
    const ir = landingPageIr({ sections: 1, title: "Auditor page" });
    expect((await codeOf(f.caller("auditor").artifacts.create({ ventureId, ir: ir as never }))).code).toBe(
      "FORBIDDEN",
    );
    expect((await codeOf(f.caller("outsider").artifacts.list({ ventureId }))).code).toBe("NOT_FOUND");
  });
});

describe("review and publishing", () => {
  it("blocks a forbidden claim with the policy's reason and the words that made it", async () => {
    const ir = landingPageIr({
      sections: 2,
      title: "Yield Fund",
      extraText: "We offer guaranteed returns of 20% a year.",
    });
    const created = await f.caller("founder").artifacts.create({ ventureId, ir: ir as never });
    const built = await build(created.id);
    expect(built.claimKinds).toContain("guaranteed_returns");
    await f.caller("founder").artifacts.submitForReview({ ventureId, artifactId: created.id });
    await f.caller("admin").artifacts.approve({ ventureId, artifactId: created.id });
    const refused = await codeOf(
      f.caller("founder").artifacts.publish({ ventureId, artifactId: created.id }),
    );
    expect(refused.code).toBe("UNPROCESSABLE_CONTENT");
    expect(refused.message).toContain("forbidden kind of claim");
    expect(refused.message).toContain("guaranteed returns");
    const events = await s.db.$queryRawUnsafe<Array<{ type: string }>>(
      "SELECT type FROM event_log WHERE stream_id = $1 ORDER BY stream_version",
      created.id,
    );
    expect(events.map((e) => e.type).at(-1)).toBe("artifacts.publish_refused");
    const after = await f.caller("founder").artifacts.get({ ventureId, artifactId: created.id });
    expect(after.status).toBe("approved");
    expect(after.publishedPath).toBeNull();
  });

  it("needs a different person to approve, then publishes and serves the page at its path", async () => {
    const created = await f.caller("founder").artifacts.create({
      ventureId,
      ir: landingPageIr({ sections: 3, title: "Robot Kits" }) as never,
    });
    const refusedEarly = await codeOf(
      f.caller("founder").artifacts.submitForReview({ ventureId, artifactId: created.id }),
    );
    expect(refusedEarly.code).toBe("UNPROCESSABLE_CONTENT");
    const built = await build(created.id);
    await f.caller("founder").artifacts.submitForReview({ ventureId, artifactId: created.id });
    const own = await codeOf(f.caller("founder").artifacts.approve({ ventureId, artifactId: created.id }));
    expect(own.code).toBe("FORBIDDEN");
    expect(own.message).toContain("separation of duties");
    const notApproved = await codeOf(
      f.caller("founder").artifacts.publish({ ventureId, artifactId: created.id }),
    );
    expect(notApproved.message).toContain("reviewed and approved");
    await f.caller("admin").artifacts.approve({ ventureId, artifactId: created.id, note: "Looks good" });
    const published = await f.caller("founder").artifacts.publish({ ventureId, artifactId: created.id });
    expect(published).toMatchObject({
      status: "published",
      publishedBuildId: built.id,
      publishedPath: `/p/${ventureSlug}/robot-kits`,
    });
    const page = await getPublishedPage({ db: s.db, ventureSlug, artifactSlug: "robot-kits" });
    expect(page?.html.toString("utf8")).toContain("<title>Robot Kits</title>");
    expect(page?.buildHash).toBe(built.buildHash);
    expect(
      await getPublishedPage({ db: s.db, ventureSlug, artifactSlug: "solar-kits-for-schools" }),
    ).toBeNull();
    const again = await codeOf(f.caller("admin").artifacts.publish({ ventureId, artifactId: created.id }));
    expect(again.code).toBe("CONFLICT");
  });
});
