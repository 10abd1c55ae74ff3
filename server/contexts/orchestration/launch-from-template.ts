// Launching a venture from a template (ORCH-008, UJ-4): the venture, the template's DAG as its
// first workstream and the template_applied event, in one transaction. The orchestrator then
// provisions the venture and the scheduler runs the DAG as the venture's budget allows.
import { type Db, withTransaction } from "@/server/shared/db";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { writeVenture } from "./create-venture";
import { getVenture, type VentureView } from "./get-venture";
import { writeWorkstream } from "./submit-workstream";
import { normalizeTaskSpecs } from "./task-specs";
import { templateById } from "./templates";

export type LaunchedVenture = { venture: VentureView; workstreamId: string; templateId: string };

export async function launchFromTemplate(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  portfolioId: string;
  templateId: string;
  name: string;
  goal?: string | null;
}): Promise<LaunchedVenture> {
  const template = templateById(options.templateId);
  const specs = normalizeTaskSpecs(template.tasks, { now: new Date() });
  const goal = options.goal?.trim() || template.defaultGoal;
  const { ventureId, workstreamId } = await withTransaction(options.db, async (tx) => {
    const ventureId = await writeVenture(tx, options, {
      portfolioId: options.portfolioId,
      name: options.name,
      goal,
    });
    const { workstreamId } = await writeWorkstream(tx, options, {
      venture: { id: ventureId, portfolioId: options.portfolioId },
      title: `${template.name} template`,
      goal,
      origin: "tasks",
      specs,
      kind: "work",
    });
    await appendEvents(tx, options, [
      {
        type: "orchestration.template_applied",
        stream: { type: "venture_template", id: ventureId },
        expectedVersion: 0,
        portfolioId: options.portfolioId,
        payload: { ventureId, templateId: template.id, templateName: template.name, workstreamId },
      },
    ]);
    return { ventureId, workstreamId };
  });
  return {
    venture: (await getVenture({ db: options.db, ventureId }))!,
    workstreamId,
    templateId: template.id,
  };
}
