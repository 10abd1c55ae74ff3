// The role x procedure matrix: every tRPC procedure, called as each role, as a member of another
// portfolio and signed out. A procedure added without an entry here fails this test.
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import type { Role } from "@/server/shared/events/catalog";
import { openTestServices, type TestServices } from "@/test/services";
import { type RoleFixture, roleFixture } from "./fixtures";
import { appRouter } from "./root";

type Who = Role | "outsider" | "signed_out";
const everyone: Role[] = ["founder", "finance_controller", "auditor", "admin"];

/** Who may call each procedure, and an input that is valid for it. */
const matrix: Record<
  string,
  { allowed: Role[] | "signed_in"; input(f: RoleFixture & { ventureId: string }): unknown }
> = {
  "identity.me": { allowed: "signed_in", input: () => undefined },
  "system.health": { allowed: "signed_in", input: () => undefined },
  "orchestration.createVenture": {
    allowed: ["founder", "admin"],
    input: (f) => ({ portfolioId: f.portfolioId, name: `Matrix ${Math.random().toString(36).slice(2, 9)}` }),
  },
  "orchestration.listVentures": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "orchestration.getVenture": { allowed: everyone, input: (f) => ({ ventureId: f.ventureId }) },
  "live.events": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "policy.listVersions": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "policy.publish": {
    allowed: ["admin"],
    input: (f) => ({
      portfolioId: f.portfolioId,
      scope: "tools",
      text: `@id("matrix.allow") permit (principal, action, resource); // ${Math.random()}`,
    }),
  },
};

let s: TestServices;
let f: RoleFixture & { ventureId: string };

beforeAll(async () => {
  s = await openTestServices();
  const base = await roleFixture(s.db);
  const venture = await createVenture({
    db: s.db,
    actor: { type: "system", id: "test" },
    correlationId: "cor_matrix",
    portfolioId: base.portfolioId,
    name: "Matrix venture",
    goal: null,
  });
  f = { ...base, ventureId: venture.id };
});
afterAll(async () => {
  await s.close();
});

async function call(path: string, who: Who): Promise<"ok" | TRPCError["code"]> {
  const caller = f.caller(who) as unknown as Record<
    string,
    Record<string, (input: unknown) => Promise<unknown>>
  >;
  const [router, procedure] = path.split(".") as [string, string];
  try {
    await caller[router]![procedure]!(matrix[path]!.input(f));
    return "ok";
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

describe("role x procedure matrix", () => {
  const procedures = Object.keys(appRouter._def.procedures);

  it("has an entry for every procedure", () => {
    expect(procedures.filter((p) => !(p in matrix))).toEqual([]);
    expect(Object.keys(matrix).filter((p) => !procedures.includes(p))).toEqual([]);
  });

  for (const path of Object.keys(matrix)) {
    it(`${path}: allowed roles succeed, others are refused`, async () => {
      const { allowed } = matrix[path]!;
      for (const role of everyone) {
        const expected = allowed === "signed_in" || allowed.includes(role) ? "ok" : "FORBIDDEN";
        expect(`${role}: ${await call(path, role)}`).toBe(`${role}: ${expected}`);
      }
      expect(await call(path, "signed_out")).toBe("UNAUTHORIZED");
      if (allowed !== "signed_in") {
        // A member of another portfolio learns nothing about this one.
        expect(await call(path, "outsider")).toBe("NOT_FOUND");
      }
    });
  }
});
