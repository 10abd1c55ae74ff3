import { type Browser, expect, type Page, test } from "@playwright/test";
import type { Role } from "@/server/shared/events/catalog";
import { e2eUsers } from "./users";

/**
 * Signs in as the journey user of `role`. Sign-in lands on the founder dashboard; the journeys then
 * continue on `then` (the ventures page unless a spec asks for another, or "/dashboard" to stay).
 */
export async function signIn(page: Page, role: Role, then = "/ventures"): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(e2eUsers[role]);
  await page.getByLabel("Password").fill(process.env.E2E_PASSWORD!);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  if (then !== "/dashboard") await page.goto(then);
}

/** A browser context of its own for one person of a journey, signed in as `role`, on `then`. */
export async function personAs(browser: Browser, role: Role, then: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: test.info().project.use.baseURL });
  const page = await context.newPage();
  await signIn(page, role, then);
  return page;
}

/** A full-page screenshot of a journey's step, into the test's output folder. */
export async function screenshot(page: Page, step: string): Promise<void> {
  await page.screenshot({ path: test.info().outputPath(`${step}.png`), fullPage: true });
}

/** "1,234.56 USD" (or "$1,234.56") → 123456 minor units, exactly (two decimals). */
export function minorOf(text: string | null): bigint {
  const match = /(-|−)?[$€£]?([\d,]+)\.(\d{2})/.exec(text ?? "");
  if (!match) throw new Error(`not an amount: ${text}`);
  const minor = BigInt(`${match[2]!.replaceAll(",", "")}${match[3]}`);
  return match[1] ? -minor : minor;
}
