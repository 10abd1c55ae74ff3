// Display helpers for the orchestration pages. Money arrives as bigint minor units (superjson) and
// is formatted without floating point.
const scales: Record<string, number> = {
  JPY: 0,
  KRW: 0,
  VND: 0,
  CLP: 0,
  ISK: 0,
  BHD: 3,
  KWD: 3,
  OMR: 3,
  JOD: 3,
  TND: 3,
};

export function formatMinor(amount: bigint, currency = "USD"): string {
  const scale = scales[currency] ?? 2;
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : "";
  return `${negative ? "−" : ""}${whole}${fraction} ${currency}`;
}

export function formatTime(date: Date | null | undefined): string {
  return date
    ? date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" })
    : "—";
}

/** "orchestration.task_attempt_failed" → "attempt failed". */
export function eventLabel(type: string): string {
  return type
    .replace(/^[a-z]+\./, "")
    .replace(/^task_/, "")
    .replaceAll("_", " ");
}

export const statusTone: Record<string, "neutral" | "green" | "amber" | "red" | "blue"> = {
  pending: "neutral",
  ready: "blue",
  waiting_budget: "amber",
  dispatched: "blue",
  running: "blue",
  retry_wait: "amber",
  succeeded: "green",
  escalated: "red",
  paused: "amber",
  cancelled: "neutral",
};

export const statusColor: Record<string, string> = {
  pending: "#e2e8f0",
  ready: "#bae6fd",
  waiting_budget: "#fde68a",
  dispatched: "#93c5fd",
  running: "#60a5fa",
  retry_wait: "#fcd34d",
  succeeded: "#86efac",
  escalated: "#fca5a5",
  paused: "#fde68a",
  cancelled: "#cbd5e1",
};
