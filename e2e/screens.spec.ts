// Every main screen renders for the role that uses it, with its key content; screenshots of each
// go into the test output for a person to look at.
import { expect, test } from "@playwright/test";
import { signIn } from "./fixtures";

test("the founder's venture page shows the live DAG after a goal is submitted", async ({
  page,
}, testInfo) => {
  await signIn(page, "founder");
  const name = `Screens ${Date.now().toString(36)}`;
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Goal").fill("Sell robot kits to schools");
  await page.getByRole("button", { name: "Create venture" }).click();
  await page.getByTestId("venture-row").filter({ hasText: name }).getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("venture.png"), fullPage: true });
});

test("the policy editor shows the active treasury policy", async ({ page }, testInfo) => {
  await signIn(page, "admin");
  await page.goto("/policies");
  await expect(page.getByText(/v1 active/)).toBeVisible();
  await expect(page.getByLabel("Policy text")).toContainText("permit");
  await page.screenshot({ path: testInfo.outputPath("policies.png"), fullPage: true });
});

test("the kill-switch is in the header and the control page lists workers", async ({ page }, testInfo) => {
  await signIn(page, "founder");
  await expect(page.getByTestId("kill-switch")).toBeVisible();
  await page.goto("/control");
  await expect(page.getByRole("main")).toContainText(/running|Running/);
  await page.screenshot({ path: testInfo.outputPath("control.png"), fullPage: true });
});

test("the finance controller's approval inbox renders", async ({ page }, testInfo) => {
  await signIn(page, "finance_controller");
  await page.goto("/inbox");
  await expect(page.getByRole("main")).toContainText(/intent|Intent|inbox|Inbox/);
  await page.screenshot({ path: testInfo.outputPath("inbox.png"), fullPage: true });
});

test("the auditor's audit log lists sealed events", async ({ page }, testInfo) => {
  await signIn(page, "auditor");
  await page.goto("/audit");
  await expect(page.getByTestId("audit-row").first()).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("audit.png"), fullPage: true });
});
