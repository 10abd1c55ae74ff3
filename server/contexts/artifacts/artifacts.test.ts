// Pure parts of the artifact compiler: the IR's content address and field-naming errors, node
// planning and hashes, claims, the review rules (separation of duties), the circuit breaker, the
// deterministic zip and PNG writers, and PDF normalization.
import { describe, expect, it } from "vitest";
import { fixedClock } from "@/server/shared/clock";
import { isAppError } from "@/server/shared/errors";
import { type ArtifactState, decideApprove, decideRequestChanges, decideSubmit } from "./artifact-rules";
import { detectClaims } from "./claims";
import { artifactIrSchema, parseIr } from "./ir";
import { nodeHash, planNodes } from "./nodes";
import { CircuitBreakers } from "./providers/breaker";
import { BuiltinImageProvider, BuiltinTextProvider } from "./providers/builtin";
import { normalizePdf } from "./render/pdf";
import { encodePng, pngSize } from "./render/png";
import { readZip, writeZip } from "./render/zip";
import { landingPageIr } from "./testing";

function errorOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error("expected an AppError");
}

describe("IR", () => {
  it("hashes the canonical JSON: key order and spacing do not change the address, content does", () => {
    const ir = landingPageIr({ sections: 2 });
    const reverseKeys = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reverseKeys)
        : value && typeof value === "object"
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reverseKeys(v)]),
            )
          : value;
    const reordered = reverseKeys(ir);
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(ir));
    const a = parseIr(ir);
    const b = parseIr(reordered);
    expect(a.irHash).toBe(b.irHash);
    expect(a.irHash).toMatch(/^[0-9a-f]{64}$/);
    const changed = landingPageIr({ sections: 2, title: "Another title" });
    expect(parseIr(changed).irHash).not.toBe(a.irHash);
  });

  it("fills defaults before hashing, so an explicit default is the same IR", () => {
    const ir = landingPageIr({ sections: 1 });
    const explicit = JSON.parse(JSON.stringify(ir));
    explicit.sections[0].blocks[1].image.style = "illustration";
    expect(parseIr(explicit).irHash).toBe(parseIr(ir).irHash);
  });

  it("names the offending field", () => {
    const ir = landingPageIr({ sections: 2 }) as {
      sections: Array<{ blocks: Array<Record<string, unknown>> }>;
    };
    ir.sections[1]!.blocks[0] = { type: "text", text: { generate: { prompt: "x", maxWords: 1000 } } };
    const error = errorOf(() => parseIr(ir));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.details.fields).toEqual({ "ir.sections.1.blocks.0.text.generate.maxWords": "at most 400" });
    const wrongKind = errorOf(() => parseIr({ irVersion: 1, kind: "poster", title: "x" }));
    expect(Object.keys(wrongKind.details.fields ?? {})).toEqual(["ir.kind"]);
  });
});

describe("nodes", () => {
  it("plans one node per generated text and image, with stable ids and chain-dependent hashes", () => {
    const ir = artifactIrSchema.parse(landingPageIr({ sections: 3 }));
    const nodes = planNodes(ir);
    expect(nodes.map((n) => `${n.id}:${n.modality}`)).toEqual([
      "hero.0:text",
      "hero.1:image",
      "section-1.0:text",
      "section-2.0:text",
      "section-2.1:image",
    ]);
    const node = nodes[0]!;
    expect(nodeHash(node, ["builtin:venture-text-1"])).toBe(nodeHash(node, ["builtin:venture-text-1"]));
    expect(nodeHash(node, ["openai:gpt", "builtin:venture-text-1"])).not.toBe(
      nodeHash(node, ["builtin:venture-text-1"]),
    );
  });
});

describe("built-in providers", () => {
  it("answer the same request with the same bytes", async () => {
    const ir = artifactIrSchema.parse(landingPageIr({ sections: 1 }));
    const [text, image] = planNodes(ir);
    const options = { signal: new AbortController().signal, timeoutMs: 1_000 };
    const t1 = await new BuiltinTextProvider().call(text!.request, options);
    const t2 = await new BuiltinTextProvider().call(text!.request, options);
    expect(t1).toEqual(t2);
    const i1 = await new BuiltinImageProvider().call(image!.request, options);
    const i2 = await new BuiltinImageProvider().call(image!.request, options);
    if (i1.output.modality !== "image" || i2.output.modality !== "image") throw new Error("expected images");
    expect(i1.output.bytes.equals(i2.output.bytes)).toBe(true);
    expect(pngSize(i1.output.bytes)).toEqual({ width: 480, height: 270 });
  });
});

describe("claims", () => {
  it("finds forbidden claims with their words and place, and unverified testimonials", () => {
    const ir = artifactIrSchema.parse({
      irVersion: 1,
      kind: "landing_page",
      title: "Fund",
      sections: [
        {
          id: "s",
          blocks: [
            { type: "text", text: "Guaranteed 20% returns every year." },
            { type: "quote", text: "Changed my life", attribution: "A customer" },
          ],
        },
      ],
    });
    const claims = detectClaims(ir, [{ where: "s.0", text: "Guaranteed 20% returns every year." }]);
    expect(claims).toEqual([
      { kind: "guaranteed_returns", evidence: "Guaranteed 20% returns", where: "s.0" },
      { kind: "unverified_testimonial", evidence: "“Changed my life” — A customer", where: "s.1" },
    ]);
  });
});

describe("review rules", () => {
  const inReview: ArtifactState = {
    id: "art_1",
    status: "in_review",
    currentVersion: 2,
    authorId: "usr_author",
    submittedBy: "usr_submitter",
    reviewBuildId: "abd_1",
    publishedBuildId: null,
  };

  it("refuses the author and the submitter as approvers (separation of duties)", () => {
    expect(errorOf(() => decideApprove(inReview, "usr_author")).code).toBe("FORBIDDEN");
    expect(errorOf(() => decideApprove(inReview, "usr_submitter")).code).toBe("FORBIDDEN");
    expect(decideApprove(inReview, "usr_other")).toEqual({ buildId: "abd_1" });
  });

  it("submits only a draft with a succeeded build of its current version", () => {
    const draft = { ...inReview, status: "draft" as const, submittedBy: null, reviewBuildId: null };
    expect(errorOf(() => decideSubmit(draft, null)).code).toBe("UNPROCESSABLE");
    expect(
      errorOf(() =>
        decideSubmit(draft, { id: "abd_0", status: "succeeded", versionNumber: 1, artifactId: "art_1" }),
      ).code,
    ).toBe("UNPROCESSABLE");
    expect(
      decideSubmit(draft, { id: "abd_2", status: "succeeded", versionNumber: 2, artifactId: "art_1" }),
    ).toEqual({ buildId: "abd_2" });
    expect(errorOf(() => decideSubmit(inReview, null)).code).toBe("CONFLICT");
    expect(errorOf(() => decideRequestChanges(inReview, "no")).details.fields).toEqual({
      note: "3-1000 characters",
    });
  });
});

describe("circuit breaker", () => {
  it("opens after the threshold, lets one trial through after the cooldown, closes on success", () => {
    const clock = fixedClock(new Date("2026-01-01T00:00:00Z"));
    const breakers = new CircuitBreakers({ failureThreshold: 2, cooldownMs: 1_000, clock });
    breakers.failure("k");
    expect(breakers.tryPass("k")).toBe(true);
    breakers.failure("k");
    expect(breakers.state("k")).toBe("open");
    expect(breakers.tryPass("k")).toBe(false);
    clock.advance(1_000);
    expect(breakers.tryPass("k")).toBe(true);
    expect(breakers.tryPass("k")).toBe(false);
    breakers.failure("k");
    expect(breakers.state("k")).toBe("open");
    clock.advance(1_000);
    expect(breakers.tryPass("k")).toBe(true);
    breakers.success("k");
    expect(breakers.state("k")).toBe("closed");
  });
});

describe("zip, PNG and PDF bytes", () => {
  it("writes the same zip for the same files in any order, and reads it back", () => {
    const files = [
      { name: "b.txt", data: Buffer.from("bee".repeat(100)) },
      { name: "a.png", data: encodePng(2, 1, new Uint8Array([255, 0, 0, 0, 255, 0])) },
    ];
    const one = writeZip(files);
    const two = writeZip([...files].reverse());
    expect(one.equals(two)).toBe(true);
    expect(readZip(one).map((e) => [e.name, e.data.toString("hex")])).toEqual(
      [...files].sort((a, b) => a.name.localeCompare(b.name)).map((f) => [f.name, f.data.toString("hex")]),
    );
  });

  it("fixes PDF timestamps without changing the length", () => {
    const pdf = Buffer.from(
      "%PDF-1.4\n1 0 obj\n<</CreationDate (D:20261127213202+00'00')\n/ModDate (D:20261127213203+00'00')>>\n",
    );
    const fixed = normalizePdf(pdf);
    expect(fixed.length).toBe(pdf.length);
    expect(fixed.toString("latin1")).toContain("/CreationDate (D:20000101000000+00'00')");
    expect(fixed.toString("latin1")).toContain("/ModDate (D:20000101000000+00'00')");
  });
});
