// A new venture launch (UJ-4, ORCH-008, and the issue-4 journey "a founder watches the DAG
// complete"), in a real browser: the finance controller funds the treasury, a founder launches a
// venture from a template and asks for its budget, the finance controller approves it from the
// inbox, and the founder watches the agents run the template's DAG to the end while the venture
// moves idea → validating → building → launched. Screenshots go into the test output.
import { expect, test } from "@playwright/test";
import { personAs, screenshot } from "./fixtures";

test("a founder launches a venture from a template, gets its budget approved and watches the DAG complete", async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const stamp = Date.now().toString(36);

  const finance = await personAs(browser, "finance_controller", "/treasury");
  await finance.getByLabel("Amount").fill("20000.00");
  await finance.getByLabel("Source").fill(`Launch fund ${stamp}`);
  await finance.getByRole("button", { name: "Deposit" }).click();
  await expect(finance.getByTestId("deposit-result")).toContainText("20,000.00 USD");

  // The founder picks a template: its phases are shown before launching.
  const founder = await personAs(browser, "founder", "/ventures");
  const name = `Robot Weekly ${stamp}`;
  await founder.getByLabel("Name").fill(name);
  await founder.getByLabel("Start from").selectOption({ label: "Template: Paid newsletter" });
  await expect(founder.getByTestId("template-preview")).toContainText("research");
  await expect(founder.getByTestId("template-preview")).toContainText("Grow the first subscribers");
  await screenshot(founder, "1-template-picker");
  await founder.getByRole("button", { name: "Launch from template" }).click();
  await founder.getByTestId("venture-row").filter({ hasText: name }).getByRole("link", { name }).click();
  await expect(founder.getByRole("heading", { name })).toBeVisible();
  await expect(founder.getByTestId("venture-stage")).toHaveText(/idea/i);
  // The template's DAG is there before any budget: nothing can run yet.
  await expect(founder.getByTestId("dag-node")).toHaveCount(5);
  const ventureUrl = founder.url();

  // Budget for the launch needs the finance controller's approval.
  await founder.getByLabel("Allocation amount").fill("2500.00");
  await founder.getByLabel("Reason").fill(`Newsletter launch ${stamp}`);
  await founder.getByRole("button", { name: "Request budget" }).click();
  await expect(founder.getByTestId("allocation-result")).toContainText("pending approval");
  await screenshot(founder, "2-budget-requested");

  await finance.goto("/inbox");
  const row = finance.getByTestId("intent-row").filter({ hasText: `Newsletter launch ${stamp}` });
  await expect(row).toContainText("$2,500.00");
  await expect(row).toContainText(name);
  await screenshot(finance, "3-budget-in-inbox");
  await row.getByLabel("Note").fill("Go");
  await row.getByRole("button", { name: "Approve" }).click();
  await expect(row).toHaveCount(0);

  // The agents run the DAG; the founder watches every node succeed and the venture launch.
  await founder.goto(ventureUrl);
  await expect(founder.getByTestId("budget-available")).not.toHaveText("0.00 USD");
  await expect(founder.locator('[data-testid="dag-node"][data-status="succeeded"]')).toHaveCount(5, {
    timeout: 90_000,
  });
  await expect(founder.getByTestId("venture-stage")).toHaveText(/launched/i, { timeout: 15_000 });
  await screenshot(founder, "4-dag-complete");
});
