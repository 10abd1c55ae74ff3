// The anomaly rules of the automatic freeze (TREAS-007), pure: given what a venture did in a window,
// is it a spike? Amounts are compared per currency, in minor units, without floats.
import type { BurnSettings, VelocitySettings } from "./settings";

export type WindowActivity = { currency: string; count: number; amountMinor: bigint };

/** A velocity spike: more intents than allowed in the window (all currencies), or more money in one currency. */
export function velocitySpike(
  settings: VelocitySettings,
  activity: readonly WindowActivity[],
): string | null {
  const count = activity.reduce((sum, a) => sum + a.count, 0);
  if (count > settings.maxIntents) {
    return `${count} money intents in ${settings.windowSeconds} s (more than ${settings.maxIntents})`;
  }
  for (const a of activity) {
    if (a.amountMinor > settings.maxAmountMinor) {
      return `${a.amountMinor} ${a.currency} minor units requested in ${settings.windowSeconds} s (more than ${settings.maxAmountMinor})`;
    }
  }
  return null;
}

/** How many past windows make the baseline a burn spike is measured against. */
export const burnBaselineWindows = 24;

/**
 * A burn spike: settled spend in the latest window is at least minMinor and more than factor times
 * the average window of the baseline before it (the preceding burnBaselineWindows windows).
 */
export function burnSpike(
  settings: BurnSettings,
  spend: { currency: string; recentMinor: bigint; baselineMinor: bigint },
): string | null {
  if (spend.recentMinor < settings.minMinor) return null;
  // recent > factor * baseline / windows, kept in integers.
  if (spend.recentMinor * BigInt(burnBaselineWindows) <= BigInt(settings.factor) * spend.baselineMinor)
    return null;
  const average = spend.baselineMinor / BigInt(burnBaselineWindows);
  return `${spend.recentMinor} ${spend.currency} minor units settled in ${settings.windowSeconds} s, more than ${settings.factor}x the usual ${average} per window`;
}
