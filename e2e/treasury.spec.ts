// The treasury in a real browser (TREAS-003/006/007/009, ADR 0012): a finance controller deposits
// capital; a founder asks for budget for a venture; the finance controller approves one request and
// denies another from the inbox, and the approved budget reaches the venture; a freeze shows in the
// inbox and denies the next request; the trial balance page adds up. Each role has its own browser
// context; screenshots go into the test output for a person to look at.
import { type Browser, expect, type Page, test } from "@playwright/test";
import type { Role } from "@/server/shared/events/catalog";
import { signIn } from "./fixtures";

async function as(browser: Browser, role: Role, baseURL: string | undefined, then: string): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await signIn(page, role, then);
  return page;
}

test("deposit, allocate, approve and deny from the inbox, freeze, and a trial balance that adds up", async ({
  browser,
}, testInfo) => {
  test.setTimeout(180_000);
  const baseURL = testInfo.project.use.baseURL;
  const stamp = Date.now().toString(36);

  // The finance controller puts capital into the treasury.
  const finance = await as(browser, "finance_controller", baseURL, "/treasury");
  await finance.getByLabel("Amount").fill("50000.00");
  await finance.getByLabel("Source").fill(`Seed round ${stamp}`);
  await finance.getByRole("button", { name: "Deposit" }).click();
  await expect(finance.getByTestId("deposit-result")).toContainText("50,000.00 USD");
  await expect(finance.getByTestId("deposit-list")).toContainText(`Seed round ${stamp}`);

  // A founder creates a venture and asks for two budgets.
  const founder = await as(browser, "founder", baseURL, "/ventures");
  const name = `Treasury Kits ${stamp}`;
  await founder.getByLabel("Name").fill(name);
  await founder.getByRole("button", { name: "Create venture" }).click();
  await founder.getByTestId("venture-row").filter({ hasText: name }).getByRole("link", { name }).click();
  await expect(founder.getByRole("heading", { name })).toBeVisible();
  const ventureUrl = founder.url();
  const request = async (amount: string, reason: string) => {
    await founder.getByLabel("Allocation amount").fill(amount);
    await founder.getByLabel("Reason").fill(reason);
    await founder.getByRole("button", { name: "Request budget" }).click();
  };
  await request("2000.00", `Launch ads ${stamp}`);
  await expect(founder.getByTestId("allocation-result")).toContainText("pending approval");
  await request("1500.00", `Gold-plated booth ${stamp}`);
  await expect(founder.getByTestId("allocation-list")).toContainText(`Gold-plated booth ${stamp}`);
  await expect(founder.getByTestId("budget-available")).toHaveText("0.00 USD");

  // The finance controller approves one and denies the other from the inbox.
  await finance.goto("/inbox");
  const approveRow = finance.getByTestId("intent-row").filter({ hasText: `Launch ads ${stamp}` });
  const denyRow = finance.getByTestId("intent-row").filter({ hasText: `Gold-plated booth ${stamp}` });
  await expect(approveRow).toContainText("$2,000.00");
  await expect(denyRow).toContainText("$1,500.00");
  await finance.screenshot({ path: testInfo.outputPath("inbox-before.png"), fullPage: true });
  await approveRow.getByLabel("Note").fill("Within the plan");
  await approveRow.getByRole("button", { name: "Approve" }).click();
  await expect(approveRow).toHaveCount(0);
  await denyRow.getByLabel("Note").fill("Not this quarter");
  await denyRow.getByRole("button", { name: "Deny" }).click();
  await expect(denyRow).toHaveCount(0);

  // The approved budget has reached the venture; the denied one has not.
  await founder.goto(ventureUrl);
  await expect(founder.getByTestId("budget-available")).toHaveText("2,000.00 USD");
  const allocations = founder.getByTestId("allocation-list");
  await expect(allocations.locator("li").filter({ hasText: `Launch ads ${stamp}` })).toContainText("settled");
  await expect(allocations.locator("li").filter({ hasText: `Gold-plated booth ${stamp}` })).toContainText(
    "denied",
  );
  await founder.screenshot({ path: testInfo.outputPath("venture-budget.png"), fullPage: true });

  // A freeze shows in the inbox and denies the next request, with its reason.
  await finance.goto("/inbox");
  await finance.getByLabel("Freeze reason").fill(`Burn spike review ${stamp}`);
  await finance.getByRole("button", { name: "Freeze treasury" }).click();
  await expect(finance.getByTestId("freeze-banner")).toContainText(`Burn spike review ${stamp}`);
  await finance.screenshot({ path: testInfo.outputPath("inbox-frozen.png"), fullPage: true });
  try {
    await request("100.00", `During the freeze ${stamp}`);
    await expect(founder.getByTestId("allocation-result")).toContainText("denied");
    await expect(founder.getByTestId("allocation-result")).toContainText(`Burn spike review ${stamp}`);
  } finally {
    await finance.getByLabel("Freeze reason").fill("Reviewed, all clear");
    await finance.getByRole("button", { name: "Unfreeze" }).click();
    await expect(finance.getByTestId("freeze-banner")).toHaveCount(0);
  }

  // The trial balance adds up: in every currency the debit total equals the credit total.
  await finance.goto("/treasury");
  const totals = finance.getByTestId("trial-balance-total");
  await expect(totals.first()).toBeVisible();
  for (const row of await totals.all()) {
    const debit = await row.getByTestId("trial-balance-debit-total").textContent();
    const credit = await row.getByTestId("trial-balance-credit-total").textContent();
    expect(debit).toBe(credit);
    await expect(row.getByTestId("trial-balance-difference")).toContainText("Balanced");
  }
  await expect(finance.getByTestId("trial-balance")).toContainText(name);
  await expect(finance.getByTestId("pnl")).toContainText(name);
  await finance.screenshot({ path: testInfo.outputPath("treasury.png"), fullPage: true });

  // The CSV download carries the same totals.
  const download = finance.waitForEvent("download");
  await finance.getByRole("link", { name: "Download trial balance CSV" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/-trial-balance-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = await (await file.createReadStream()).toArray();
  const text = Buffer.concat(csv as Buffer[]).toString("utf8");
  const total = text
    .split("\r\n")
    .find((line) => line.startsWith("USD,TOTAL,"))!
    .split(",");
  expect(total[5]).toBe(total[6]);
});

test("founders see the treasury but cannot deposit; auditors cannot request budget", async ({
  browser,
}, testInfo) => {
  const baseURL = testInfo.project.use.baseURL;
  const founder = await as(browser, "founder", baseURL, "/treasury");
  await expect(founder.getByTestId("trial-balance-total").first()).toBeVisible();
  await expect(founder.getByRole("button", { name: "Deposit" })).toHaveCount(0);
  const auditor = await as(browser, "auditor", baseURL, "/ventures");
  await auditor.getByTestId("venture-row").first().getByRole("link").first().click();
  await expect(auditor.getByTestId("venture-budget")).toBeVisible();
  await expect(auditor.getByRole("button", { name: "Request budget" })).toHaveCount(0);
});
