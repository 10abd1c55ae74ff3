// UJ-1, founder onboarding → first revenue, in a real browser: a founder signs in and creates a
// venture from a goal; the finance controller approves its first budget (budget moves always need
// a person); the L1 planner turns the goal into a DAG and the agents run it — research, pricing,
// the landing page copy and design brief — each model and tool call spent within the budget and
// allowed by policy without anyone asked; the founder builds the landing page artifact; a sandbox
// customer pays (after a refused malformed amount that books nothing); the dashboard shows the
// first revenue. Screenshots of the key screens go into the test output.
import { expect, test } from "@playwright/test";
import { minorOf, personAs, screenshot } from "./fixtures";

test("a founder goes from sign-in and a goal to the venture's first revenue", async ({ browser }) => {
  // A ceiling for a loaded machine; the journey takes well under a minute on an idle one.
  test.setTimeout(300_000);
  const stamp = Date.now().toString(36);
  const goal = `Sell solar kits to schools ${stamp}`;

  // The finance controller makes sure the portfolio treasury has capital to allocate.
  const finance = await personAs(browser, "finance_controller", "/treasury");
  await finance.getByLabel("Amount").fill("5000.00");
  await finance.getByLabel("Source").fill(`Seed round ${stamp}`);
  await finance.getByRole("button", { name: "Deposit" }).click();
  await expect(finance.getByTestId("deposit-result")).toContainText("5,000.00 USD");

  // Sign-in lands on the dashboard: note the portfolio's revenue before this venture earns any.
  const founder = await personAs(browser, "founder", "/dashboard");
  await expect(founder.getByTestId("kpi-revenue")).not.toHaveText("—");
  const revenueBefore = minorOf(await founder.getByTestId("kpi-revenue").textContent());

  // A venture from a goal.
  await founder.goto("/ventures");
  const name = `Solar Schools ${stamp}`;
  await founder.getByLabel("Name").fill(name);
  await founder.getByLabel("Goal").fill(goal);
  await founder.getByRole("button", { name: "Create venture" }).click();
  const row = founder.getByTestId("venture-row").filter({ hasText: name });
  await expect(row.getByText("Ready")).toBeVisible();
  await screenshot(founder, "1-venture-created");
  await row.getByRole("link", { name }).click();
  await expect(founder.getByRole("heading", { name })).toBeVisible();
  const ventureUrl = founder.url();

  // Its first budget: requested by the founder, approved by the finance controller.
  await founder.getByLabel("Allocation amount").fill("300.00");
  await founder.getByLabel("Reason").fill(`First month of agents ${stamp}`);
  await founder.getByRole("button", { name: "Request budget" }).click();
  await expect(founder.getByTestId("allocation-result")).toContainText("pending approval");
  await finance.goto("/inbox");
  const request = finance.getByTestId("intent-row").filter({ hasText: `First month of agents ${stamp}` });
  await expect(request).toContainText("$300.00");
  await expect(request).toContainText(name);
  await request.getByLabel("Note").fill("Welcome aboard");
  await request.getByRole("button", { name: "Approve" }).click();
  await expect(request).toHaveCount(0);
  await expect(founder.getByTestId("budget-available")).toHaveText("300.00 USD", { timeout: 10_000 });

  // The goal the venture was created with is offered to the L1 planner; the agents run its DAG.
  await expect(founder.getByLabel("Goal")).toHaveValue(goal);
  await founder.getByRole("button", { name: "Submit goal" }).click();
  const nodes = founder.getByTestId("dag-node");
  // The planner, then the five tasks it planned: research, pricing, copy, design, launch.
  await expect(nodes).toHaveCount(6, { timeout: 30_000 });
  await expect(founder.locator('[data-testid="dag-node"][data-status="succeeded"]')).toHaveCount(6, {
    timeout: 60_000,
  });
  const tasks = founder.getByTestId("task-table");
  for (const title of [
    `Research the market for: ${goal}`,
    "Write the landing page copy",
    "Brief the landing page design",
  ]) {
    await expect(tasks.getByRole("row").filter({ hasText: title })).toContainText("succeeded");
  }
  // Every call was spent within the budget and allowed by policy without a person: the research
  // task's model calls were held and charged, its tool calls carry the permit that allowed them.
  await tasks.getByRole("row").filter({ hasText: "Research the market" }).click();
  const timeline = founder.getByTestId("task-timeline");
  await expect(timeline).toContainText("model call · builtin");
  await expect(timeline).toContainText(/held \d+\.\d{2} USD/);
  await expect(timeline).toContainText("policy allow");
  await expect(founder.getByTestId("venture-spend")).not.toHaveText("0.00 USD");
  expect(minorOf(await founder.getByTestId("venture-spend").textContent())).toBeGreaterThan(0n);
  await screenshot(founder, "2-dag-complete");

  // The landing page artifact, built by the artifact compiler.
  await founder.getByTestId("venture-artifacts-link").click();
  const title = `Solar kits for schools ${stamp}`;
  await founder.getByRole("textbox", { name: "Title", exact: true }).fill(title);
  await founder.getByRole("button", { name: "Create artifact" }).click();
  await founder
    .getByTestId("artifact-row")
    .filter({ hasText: title })
    .getByRole("link", { name: title })
    .click();
  await founder.getByRole("button", { name: "Build", exact: true }).click();
  await expect(founder.getByTestId("build-log")).toContainText(/Done in \d+ ms/, { timeout: 60_000 });
  await expect(
    founder.frameLocator('[data-testid="artifact-preview"]').getByRole("heading", { name: title }),
  ).toBeVisible();
  await screenshot(founder, "3-landing-page");

  // A sandbox customer pays. A malformed amount is refused on the field and books nothing.
  await founder.goto(ventureUrl);
  const checkout = founder.getByTestId("sandbox-checkout");
  await checkout.getByLabel("Payment amount").fill("0.00");
  await checkout.getByRole("button", { name: "Pay with the sandbox" }).click();
  await expect(checkout.getByRole("alert")).toHaveText("A positive amount in USD, e.g. 49.00");
  await expect(checkout.getByTestId("checkout-result")).toHaveCount(0);
  await checkout.getByLabel("Payment amount").fill("49.00");
  await checkout.getByLabel("Customer").fill("Hillside Primary School");
  await checkout.getByRole("button", { name: "Pay with the sandbox" }).click();
  await expect(checkout.getByTestId("checkout-result")).toContainText(
    "49.00 USD received and booked as revenue",
  );
  await expect(checkout.getByTestId("checkout-result")).toContainText(/sbx_/);
  const revenue = founder
    .getByTestId("venture-budget")
    .locator("div", { has: founder.getByText("Revenue", { exact: true }) });
  await expect(revenue).toContainText("49.00 USD");
  await screenshot(founder, "4-first-payment");

  // The dashboard shows the first revenue: on the venture's row and in the portfolio's total.
  await founder.getByRole("link", { name: "Dashboard", exact: true }).click();
  const ventureRow = founder.getByTestId("dashboard-venture-row").filter({ hasText: name });
  await expect(ventureRow).toContainText("49.00 USD");
  await expect
    .poll(async () => minorOf(await founder.getByTestId("kpi-revenue").textContent()))
    .toBe(revenueBefore + 4_900n);
  await expect(founder.getByTestId("activity-feed")).toContainText("revenue received");
  await screenshot(founder, "5-dashboard-first-revenue");
  await finance.context().close();
  await founder.context().close();
});
