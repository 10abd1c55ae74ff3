// The foundation round trip in a real browser: a founder signs in, creates a venture, and sees
// the orchestrator's answer (event → outbox → JetStream → worker → result event → UI).
import { expect, test } from "@playwright/test";
import { signIn } from "./fixtures";

test("a wrong password is refused with a message, and nothing is shown", async ({ page }) => {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill("founder@e2e.test");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toContainText("do not match");
  await page.goto("/ventures");
  await expect(page).toHaveURL(/\/sign-in/);
});

test("a founder creates a venture and sees the orchestrator provision it", async ({ page }, testInfo) => {
  await signIn(page, "founder");
  await expect(page.getByTestId("portfolio-role")).toContainText("Founder");
  const name = `Solar Kits ${Date.now().toString(36)}`;
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Goal").fill("Sell solar kits to schools");
  await page.getByRole("button", { name: "Create venture" }).click();
  const row = page.getByTestId("venture-row").filter({ hasText: name });
  await expect(row).toBeVisible();
  await expect(row.getByText("Ready")).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("ventures.png"), fullPage: true });
  await row.getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  await expect(page.getByText("Ready")).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("venture-detail.png"), fullPage: true });
});

test("bad input names the field and creates nothing", async ({ page }) => {
  await signIn(page, "founder");
  await expect(page.getByText("Loading…")).toHaveCount(0);
  const before = await page.getByTestId("venture-row").count();
  await page.getByLabel("Name").fill("x");
  await page.getByRole("button", { name: "Create venture" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toContainText("at least 2 characters");
  await expect(page.getByTestId("venture-row")).toHaveCount(before);
});

test("an auditor can read ventures but is not offered creation", async ({ page }) => {
  await signIn(page, "auditor");
  await expect(page.getByTestId("portfolio-role")).toContainText("Auditor");
  await expect(page.getByRole("button", { name: "Create venture" })).toHaveCount(0);
});

test("the system page shows every service and worker healthy", async ({ page }, testInfo) => {
  await signIn(page, "admin");
  await page.goto("/system");
  await expect(page.getByText("All healthy")).toBeVisible();
  for (const name of ["postgres", "nats", "redis", "worker: orchestrator", "worker: outbox-relay"]) {
    await expect(page.getByTestId("health-list").getByText(name, { exact: true })).toBeVisible();
  }
  await page.screenshot({ path: testInfo.outputPath("system.png"), fullPage: true });
});
