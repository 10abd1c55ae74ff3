// Rails and reconciliation screens (TREAS-008/009): the finance controller reconciles on demand and
// sees the run listed; the inbox shows the payments of approved intents with their settlement.
// Screenshots go into the test output for a person to look at.
import { expect, test } from "@playwright/test";
import { signIn } from "./fixtures";

test("the finance controller reconciles the ledger against the rail on demand", async ({
  page,
}, testInfo) => {
  await signIn(page, "finance_controller", "/treasury/reconciliation");
  const panel = page.getByTestId("reconciliation-panel");
  await expect(panel).toBeVisible();
  const before = await page.getByTestId("reconciliation-run").count();
  await panel.getByRole("button", { name: "Reconcile now" }).click();
  await expect(page.getByTestId("reconciliation-run")).toHaveCount(before + 1);
  await expect(page.getByTestId("reconciliation-run").first()).toContainText(/balanced|breaks|failed/);
  await expect(page.getByTestId("reconciliation-run").first()).toContainText("on demand");
  await page.screenshot({ path: testInfo.outputPath("reconciliation.png"), fullPage: true });
});

test("reconciliation is not offered to founders", async ({ page }) => {
  await signIn(page, "founder", "/treasury/reconciliation");
  await expect(page.getByRole("main")).toContainText("Reconciliation is for finance controllers and admins.");
  await expect(page.getByRole("button", { name: "Reconcile now" })).toHaveCount(0);
});

test("the inbox lists payments with their settlement status and rail reference", async ({
  page,
}, testInfo) => {
  await signIn(page, "finance_controller", "/inbox");
  const payments = page.getByTestId("payments");
  await expect(payments).toBeVisible();
  await expect(payments).toContainText("Payments");
  await expect(payments.getByRole("link", { name: "Reconciliation →" })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("payments.png"), fullPage: true });
});
