// Portfolio review and rebalancing (UJ-2, ORCH-007, ADR 0016) in a real browser: the finance
// controller funds the treasury and approves two ventures' budgets; a founder compares the ventures'
// KPIs (budget, burn, runway, revenue growth) and the recommendations on the rebalancing page, is
// told what is wrong with a bad transfer next to the field, and requests a transfer from one venture
// to the other; the finance controller sees it in the inbox with both ventures' names and approves
// it; the treasury page shows the settled transfer with its ledger entry and a trial balance that
// still adds up, and the comparison shows both budgets moved. Screenshots go into the test output.
import { type Browser, expect, type Page, test } from "@playwright/test";
import type { Role } from "@/server/shared/events/catalog";
import { signIn } from "./fixtures";

async function as(browser: Browser, role: Role, baseURL: string | undefined, then: string): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await signIn(page, role, then);
  return page;
}

test("a founder compares ventures, moves budget through an approved transfer, and the ledger shows it", async ({
  browser,
}, testInfo) => {
  test.setTimeout(180_000);
  const baseURL = testInfo.project.use.baseURL;
  const stamp = Date.now().toString(36);
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });

  // Capital in the treasury.
  const finance = await as(browser, "finance_controller", baseURL, "/treasury");
  await finance.getByLabel("Amount").fill("20000.00");
  await finance.getByLabel("Source").fill(`Rebalancing fund ${stamp}`);
  await finance.getByRole("button", { name: "Deposit" }).click();
  await expect(finance.getByTestId("deposit-result")).toContainText("20,000.00 USD");

  // A founder creates two ventures and asks for a budget for each.
  const founder = await as(browser, "founder", baseURL, "/ventures");
  const source = `Quiet Kiosk ${stamp}`;
  const target = `Rocket Shop ${stamp}`;
  for (const [name, amount] of [
    [source, "4000.00"],
    [target, "1000.00"],
  ] as const) {
    await founder.goto("/ventures");
    await founder.getByLabel("Name").fill(name);
    await founder.getByRole("button", { name: "Create venture" }).click();
    await founder.getByTestId("venture-row").filter({ hasText: name }).getByRole("link", { name }).click();
    await expect(founder.getByRole("heading", { name })).toBeVisible();
    await founder.getByLabel("Allocation amount").fill(amount);
    await founder.getByLabel("Reason").fill(`Budget for ${name}`);
    await founder.getByRole("button", { name: "Request budget" }).click();
    await expect(founder.getByTestId("allocation-result")).toContainText("pending approval");
  }

  // The finance controller approves both budgets.
  await finance.goto("/inbox");
  for (const name of [source, target]) {
    const row = finance.getByTestId("intent-row").filter({ hasText: `Budget for ${name}` });
    await row.getByLabel("Note").fill("Within the plan");
    await row.getByRole("button", { name: "Approve" }).click();
    await expect(row).toHaveCount(0);
  }

  // The founder compares the ventures on the rebalancing page, reached from the navigation.
  await founder.goto("/dashboard");
  await founder.getByRole("link", { name: "Rebalancing", exact: true }).click();
  await expect(founder).toHaveURL(/\/rebalancing$/);
  await expect(founder.getByRole("heading", { name: "Rebalancing" })).toBeVisible();
  const compare = founder.getByTestId("rebalancing-ventures");
  const sourceRow = compare.getByTestId("rebalancing-venture-row").filter({ hasText: source });
  const targetRow = compare.getByTestId("rebalancing-venture-row").filter({ hasText: target });
  await expect(sourceRow.getByTestId("kpi-budget")).toHaveText("4,000.00 USD");
  await expect(targetRow.getByTestId("kpi-budget")).toHaveText("1,000.00 USD");
  // Nothing spent yet: no burn, so no runway figure; no revenue either.
  await expect(sourceRow.getByTestId("kpi-burn")).toHaveText("0.00 USD");
  await expect(sourceRow.getByTestId("kpi-runway")).toHaveText("no spend");
  await expect(sourceRow.getByTestId("kpi-growth")).toHaveText("no revenue");
  // Recommendations are listed with their figures, or the page says why there are none.
  await expect(
    founder.getByTestId("recommendation").first().or(founder.getByTestId("no-recommendations")),
  ).toBeVisible();
  await shot(founder, "rebalancing-compare");

  // Bad input is named next to its field and nothing is requested.
  const transfers = founder.getByTestId("transfer-list").getByTestId("transfer-row");
  const before = await transfers.count();
  await founder.getByLabel("From venture").selectOption({ label: source });
  await founder.getByLabel("To venture").selectOption({ label: source });
  await founder.getByLabel("Transfer amount").fill("12.345");
  await founder.getByLabel("Transfer reason").fill(`Rocket's revenue grows ${stamp}`);
  await founder.getByRole("button", { name: "Move budget" }).click();
  await expect(founder.getByText("Choose another venture than the source")).toBeVisible();
  await expect(founder.getByText("A positive amount in USD, e.g. 2500.00")).toBeVisible();
  await shot(founder, "rebalancing-form-errors");

  // A valid transfer: held on the source until a finance controller approves it.
  await founder.getByLabel("To venture").selectOption({ label: target });
  await founder.getByLabel("Transfer amount").fill("1,500.00");
  await founder.getByRole("button", { name: "Move budget" }).click();
  await expect(founder.getByTestId("transfer-result")).toContainText("pending approval");
  await expect(founder.getByTestId("transfer-result")).toContainText("1,500.00 USD");
  await expect(transfers).toHaveCount(before + 1);
  await expect(transfers.filter({ hasText: `Rocket's revenue grows ${stamp}` })).toContainText(
    "pending approval",
  );
  await expect(sourceRow.getByTestId("kpi-budget")).toHaveText("2,500.00 USD");
  await shot(founder, "rebalancing-requested");

  // The finance controller sees the transfer in the inbox with both ventures' names and approves it.
  await finance.goto("/inbox");
  const row = finance.getByTestId("intent-row").filter({ hasText: `Rocket's revenue grows ${stamp}` });
  await expect(row).toContainText("$1,500.00");
  await expect(row.getByTestId("transfer-intent")).toContainText(`from ${source} to ${target}`);
  await shot(finance, "inbox-transfer");
  await row.getByLabel("Note").fill("Growth deserves the runway");
  await row.getByRole("button", { name: "Approve" }).click();
  await expect(row).toHaveCount(0);

  // The treasury page shows the settled transfer, its ledger entry, and books that still balance.
  await finance.goto("/treasury");
  const settled = finance
    .getByTestId("transfer-list")
    .getByTestId("transfer-row")
    .filter({ hasText: `Rocket's revenue grows ${stamp}` });
  await expect(settled).toContainText("settled");
  await expect(settled).toContainText(`${source} → ${target}`);
  await expect(settled.getByTestId("transfer-entry")).toHaveText(/^mi_[0-9A-Z]+:transfer$/);
  await expect(finance.getByTestId("trial-balance")).toContainText(source);
  await expect(finance.getByTestId("trial-balance")).toContainText(target);
  for (const total of await finance.getByTestId("trial-balance-total").all()) {
    await expect(total.getByTestId("trial-balance-difference")).toContainText("Balanced");
    expect(await total.getByTestId("trial-balance-debit-total").textContent()).toBe(
      await total.getByTestId("trial-balance-credit-total").textContent(),
    );
  }
  await shot(finance, "treasury-transfer");

  // Back on the rebalancing page: both budgets moved.
  await founder.reload();
  await expect(sourceRow.getByTestId("kpi-budget")).toHaveText("2,500.00 USD");
  await expect(targetRow.getByTestId("kpi-budget")).toHaveText("2,500.00 USD");
  await expect(transfers.filter({ hasText: `Rocket's revenue grows ${stamp}` })).toContainText("settled");
  await shot(founder, "rebalancing-settled");
});

test("auditors compare ventures but cannot move budget", async ({ page }, testInfo) => {
  await signIn(page, "auditor", "/rebalancing");
  await expect(page.getByTestId("rebalancing-ventures")).toBeVisible();
  await expect(page.getByRole("button", { name: "Move budget" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Request transfer" })).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath("rebalancing-auditor.png"), fullPage: true });
});
