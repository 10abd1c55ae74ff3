// Venture templates (ORCH-008, UJ-4): a venture launched from a template starts with a DAG that
// walks it through its lifecycle, research → validate → build → launch. Each task names the phase
// it belongs to; when every task of a phase has succeeded the venture moves to the stage that
// phase opens (template-stages.ts). Pure data and lookups.
import { AppError } from "@/server/shared/errors";
import type { TaskSpecInput } from "./task-specs";
import type { VentureStage } from "./venture";

export const templatePhases = ["research", "validate", "build", "launch"] as const;
export type TemplatePhase = (typeof templatePhases)[number];

/** The stage a venture enters when every task of the phase has succeeded. */
export const stageAfterPhase: Record<TemplatePhase, VentureStage | null> = {
  research: "validating",
  validate: "building",
  build: "launched",
  launch: null,
};

export type VentureTemplate = {
  id: string;
  name: string;
  description: string;
  /** A goal to start from when the founder gives none. */
  defaultGoal: string;
  /** Budget the template's tasks are estimated to need, minor units (USD). */
  suggestedBudgetMinor: bigint;
  tasks: readonly (TaskSpecInput & { inputs: { phase: TemplatePhase; brief: string } })[];
};

function task(
  phase: TemplatePhase,
  key: string,
  title: string,
  role: string,
  brief: string,
  dependsOn: string[] = [],
  estimatedCostMinor = "200",
): VentureTemplate["tasks"][number] {
  return { key, title, role, dependsOn, estimatedCostMinor, inputs: { phase, brief } };
}

export const ventureTemplates: readonly VentureTemplate[] = [
  {
    id: "product-launch",
    name: "Product launch",
    description:
      "Research a market, validate demand and unit economics, build the offer and its landing page, then launch with a first campaign.",
    defaultGoal: "Launch a product and reach its first paying customers",
    suggestedBudgetMinor: 500_000n,
    tasks: [
      task(
        "research",
        "market-research",
        "Research the market and competitors",
        "researcher",
        "Size the market, list five competitors with their prices and positioning.",
      ),
      task(
        "research",
        "customer-interviews",
        "Summarise target customer needs",
        "researcher",
        "Describe the three main customer segments and their top problems.",
      ),
      task(
        "validate",
        "unit-economics",
        "Model unit economics and pricing",
        "finance_analyst",
        "Propose a price, gross margin and payback period from the research.",
        ["market-research", "customer-interviews"],
      ),
      task(
        "validate",
        "demand-test",
        "Design a demand test",
        "growth_marketer",
        "Plan a small paid test with a target conversion rate and budget.",
        ["market-research", "customer-interviews"],
      ),
      task(
        "build",
        "landing-copy",
        "Write the landing page copy",
        "copywriter",
        "Headline, subheadline, three benefits, pricing and a call to action.",
        ["unit-economics", "demand-test"],
      ),
      task(
        "build",
        "landing-design",
        "Design the landing page",
        "designer",
        "Layout, colour palette and hero image brief for the landing page.",
        ["landing-copy"],
      ),
      task(
        "build",
        "checkout",
        "Set up checkout and fulfilment",
        "engineer",
        "Checkout flow, order confirmation and fulfilment steps.",
        ["unit-economics"],
      ),
      task(
        "launch",
        "launch-campaign",
        "Run the launch campaign",
        "growth_marketer",
        "Launch plan for the first two weeks: channels, budget split and goals.",
        ["landing-design", "checkout"],
      ),
    ],
  },
  {
    id: "content-newsletter",
    name: "Paid newsletter",
    description:
      "Find a niche, validate that readers will pay, build the publication and its sign-up page, then grow the first subscribers.",
    defaultGoal: "Start a paid newsletter and reach its first 100 paying subscribers",
    suggestedBudgetMinor: 250_000n,
    tasks: [
      task(
        "research",
        "niche-research",
        "Research niches and rival publications",
        "researcher",
        "Compare three niches by audience size, rivals and willingness to pay.",
      ),
      task(
        "validate",
        "pricing",
        "Set subscription pricing",
        "finance_analyst",
        "Monthly and yearly price, expected churn and break-even subscribers.",
        ["niche-research"],
      ),
      task(
        "build",
        "first-issues",
        "Write the first three issues",
        "copywriter",
        "Three issues that show the publication's voice and value.",
        ["pricing"],
      ),
      task(
        "build",
        "signup-page",
        "Design the sign-up page",
        "designer",
        "A sign-up page with the promise, a sample issue and the price.",
        ["pricing"],
      ),
      task(
        "launch",
        "growth-plan",
        "Grow the first subscribers",
        "growth_marketer",
        "Referral programme and three channels for the first 100 subscribers.",
        ["first-issues", "signup-page"],
      ),
    ],
  },
];

export function templateById(templateId: string): VentureTemplate {
  const template = ventureTemplates.find((t) => t.id === templateId);
  if (!template) {
    throw new AppError("NOT_FOUND", `Template ${templateId} does not exist`, {
      fields: { templateId: `one of ${ventureTemplates.map((t) => t.id).join(", ")}` },
    });
  }
  return template;
}

export function isTemplatePhase(value: unknown): value is TemplatePhase {
  return typeof value === "string" && (templatePhases as readonly string[]).includes(value);
}
