// Launching a venture from a template (ORCH-008, UJ-4) against the real services: the venture and
// the template's DAG in one transaction, the DAG run by the built-in provider, and the venture
// walked through its lifecycle as each phase of the template completes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changeVentureStage } from "@/server/contexts/orchestration/change-venture-stage";
import { launchFromTemplate } from "@/server/contexts/orchestration/launch-from-template";
import { templateById } from "@/server/contexts/orchestration/templates";
import {
  eventually,
  fundVenture,
  portfolioWithPolicies,
  systemActor,
  taskStatuses,
} from "@/server/contexts/orchestration/testing/fixtures";
import { readEvents, sealEvents } from "@/server/shared/events/store";
import { openTestServices, type TestServices } from "@/test/services";
import { type RunningConsumer, startConsumer } from "../_runtime/consumer";
import { templateStages } from "./template-stages";
import { type Stack, startStack } from "./testing";
import { ventureProvisioning } from "./venture-provisioning";

let s: TestServices;
let stack: Stack;
const consumers: RunningConsumer[] = [];
let portfolioId: string;

beforeAll(async () => {
  s = await openTestServices();
  stack = await startStack(s, { agents: { providers: { builtin: { latencyMs: 10 } } } });
  consumers.push(await startConsumer(s, ventureProvisioning), await startConsumer(s, templateStages));
  portfolioId = await portfolioWithPolicies(s.db);
}, 60_000);

afterAll(async () => {
  for (const c of consumers) await c.stop();
  await stack?.stop();
  await s?.close();
});

async function stageOf(ventureId: string): Promise<string> {
  const [row] = await s.db.$queryRawUnsafe<Array<{ stage: string }>>(
    "SELECT stage FROM ventures WHERE id = $1",
    ventureId,
  );
  return row!.stage;
}

describe("launching a venture from a template", () => {
  it("runs the template's DAG and moves the venture idea → validating → building → launched", async () => {
    const template = templateById("content-newsletter");
    const launched = await launchFromTemplate({
      db: s.db,
      actor: systemActor,
      correlationId: "cor_template",
      portfolioId,
      templateId: template.id,
      name: "Robot Weekly",
      goal: null,
    });
    expect(launched.venture.stage).toBe("idea");
    expect(launched.venture.goal).toBe(template.defaultGoal);
    const statuses = await taskStatuses(s.db, launched.workstreamId);
    expect(Object.keys(statuses).sort()).toEqual(template.tasks.map((t) => t.key).sort());

    await eventually(
      async () => (await s.db.venture.findUnique({ where: { id: launched.venture.id } }))?.status === "ready",
      20_000,
      "the venture provisioned",
    );
    await fundVenture(s.db, portfolioId, launched.venture.id, template.suggestedBudgetMinor);

    await eventually(async () => (await stageOf(launched.venture.id)) === "launched", 45_000, "launched");
    await eventually(
      async () =>
        Object.values(await taskStatuses(s.db, launched.workstreamId)).every((st) => st === "succeeded"),
      30_000,
      "every task succeeded",
    );

    // Each step is an event caused by the task that completed its phase, in lifecycle order.
    await sealEvents(s.db);
    const changes = (await readEvents(s.db, { limit: 10_000 })).filter(
      (e) => e.type === "orchestration.venture_stage_changed" && e.stream.id === launched.venture.id,
    );
    expect(changes.map((e) => (e.payload as { to: string }).to)).toEqual([
      "validating",
      "building",
      "launched",
    ]);
    const applied = (await readEvents(s.db, { limit: 10_000 })).filter(
      (e) => e.type === "orchestration.template_applied",
    );
    expect(applied.map((e) => e.payload)).toContainEqual({
      ventureId: launched.venture.id,
      templateId: template.id,
      templateName: template.name,
      workstreamId: launched.workstreamId,
    });
  }, 120_000);

  it("never overrules a founder who moved the venture by hand", async () => {
    const launched = await launchFromTemplate({
      db: s.db,
      actor: systemActor,
      correlationId: "cor_template_manual",
      portfolioId,
      templateId: "content-newsletter",
      name: "Sunset Weekly",
    });
    // The founder moves it to building before anything ran.
    for (const stage of ["validating", "building"] as const) {
      await changeVentureStage({
        db: s.db,
        actor: systemActor,
        correlationId: "cor_template_manual",
        ventureId: launched.venture.id,
        stage,
      });
    }
    await eventually(
      async () => (await s.db.venture.findUnique({ where: { id: launched.venture.id } }))?.status === "ready",
      20_000,
      "the venture provisioned",
    );
    await fundVenture(s.db, portfolioId, launched.venture.id, 250_000n);
    await eventually(
      async () =>
        Object.values(await taskStatuses(s.db, launched.workstreamId)).every((st) => st === "succeeded"),
      45_000,
      "every task succeeded",
    );
    // research → validating would be a step back from building: refused silently; build → launched
    // is the next step and happens.
    await eventually(async () => (await stageOf(launched.venture.id)) === "launched", 10_000, "launched");
  }, 120_000);

  it("refuses an unknown template or a bad name, naming the field, and writes nothing", async () => {
    const before = await s.db.venture.count();
    await expect(
      launchFromTemplate({
        db: s.db,
        actor: systemActor,
        correlationId: "cor_template_bad",
        portfolioId,
        templateId: "no-such-template",
        name: "Nope",
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND", details: { fields: { templateId: expect.any(String) } } });
    await expect(
      launchFromTemplate({
        db: s.db,
        actor: systemActor,
        correlationId: "cor_template_bad",
        portfolioId,
        templateId: "product-launch",
        name: " ",
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await s.db.venture.count()).toBe(before);
  });
});
