import { expect, type Page } from "@playwright/test";
import type { Role } from "@/server/shared/events/catalog";
import { e2eUsers } from "./users";

export async function signIn(page: Page, role: Role): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(e2eUsers[role]);
  await page.getByLabel("Password").fill(process.env.E2E_PASSWORD!);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/ventures$/);
}
