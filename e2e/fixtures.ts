import { expect, type Page } from "@playwright/test";
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
