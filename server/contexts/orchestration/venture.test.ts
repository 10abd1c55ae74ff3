import { describe, expect, it } from "vitest";
import { AppError } from "@/server/shared/errors";
import { decideCreateVenture, decideProvision, slugify } from "./venture";

describe("venture rules", () => {
  it("slugifies names to lower-case ascii with dashes", () => {
    expect(slugify("  Café Órbita — Labs!  ")).toBe("cafe-orbita-labs");
  });

  it("refuses a name with no letter or digit, naming the field", () => {
    const attempt = () =>
      decideCreateVenture({
        ventureId: "ven_x",
        portfolioId: "pf_x",
        name: "!!!",
        goal: null,
        slugTaken: false,
      });
    expect(attempt).toThrowError(AppError);
    try {
      attempt();
    } catch (error) {
      expect((error as AppError).code).toBe("BAD_REQUEST");
      expect((error as AppError).details.fields).toHaveProperty("name");
    }
  });

  it("refuses a duplicate slug in the same portfolio as a conflict", () => {
    expect(() =>
      decideCreateVenture({
        ventureId: "ven_x",
        portfolioId: "pf_x",
        name: "Acme",
        goal: null,
        slugTaken: true,
      }),
    ).toThrowError(/already exists/);
  });

  it("starts a venture at the idea stage", () => {
    const created = decideCreateVenture({
      ventureId: "ven_x",
      portfolioId: "pf_x",
      name: "Acme Robots",
      goal: "Sell robots",
      slugTaken: false,
    });
    expect(created).toMatchObject({ slug: "acme-robots", stage: "idea", goal: "Sell robots" });
  });

  it("provisions once: a ready venture decides nothing", () => {
    const state = { id: "ven_x", portfolioId: "pf_x", status: "provisioning" as const, version: 1 };
    expect(decideProvision(state, "wrk_1")).toEqual({ ventureId: "ven_x", provisionedBy: "wrk_1" });
    expect(decideProvision({ ...state, status: "ready" }, "wrk_1")).toBeNull();
  });
});
