// A venture's health on the founder dashboard (CTRL-002), pure: the worst of the conditions that
// need a person's attention, each named. Critical means money or work has stopped or is about to;
// warning means it needs a look soon.

export type Health = "healthy" | "warning" | "critical";

export type HealthInput = {
  status: string;
  paused: boolean;
  frozen: boolean;
  /** Whole days of runway at the current net burn; null when the venture does not burn. */
  runwayDays: number | null;
  availableMinor: bigint;
  tasks: { escalated: number; waitingBudget: number };
};

export const criticalRunwayDays = 14;
export const warningRunwayDays = 60;

export function ventureHealth(input: HealthInput): { health: Health; reasons: string[] } {
  const critical: string[] = [];
  const warning: string[] = [];
  if (input.frozen) critical.push("Treasury frozen");
  if (input.runwayDays !== null && input.runwayDays < criticalRunwayDays) {
    critical.push(`Runway ${input.runwayDays} days (under ${criticalRunwayDays})`);
  } else if (input.runwayDays !== null && input.runwayDays < warningRunwayDays) {
    warning.push(`Runway ${input.runwayDays} days (under ${warningRunwayDays})`);
  }
  if (input.tasks.waitingBudget > 0) {
    const text = `${input.tasks.waitingBudget} task${input.tasks.waitingBudget === 1 ? "" : "s"} waiting for budget`;
    if (input.availableMinor <= 0n) critical.push(`Out of budget: ${text}`);
    else warning.push(text);
  }
  if (input.tasks.escalated > 0) {
    warning.push(`${input.tasks.escalated} escalated task${input.tasks.escalated === 1 ? "" : "s"}`);
  }
  if (input.paused) warning.push("Paused");
  if (input.status === "provisioning") warning.push("Still provisioning");
  if (critical.length > 0) return { health: "critical", reasons: [...critical, ...warning] };
  if (warning.length > 0) return { health: "warning", reasons: warning };
  return { health: "healthy", reasons: [] };
}
