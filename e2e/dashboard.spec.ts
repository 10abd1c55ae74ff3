// The founder dashboard in a real browser (CTRL-002/004): sign-in lands on it; KPI cards, the
// revenue-and-spend chart, burn and runway per venture, the ventures with health and the activity
// feed render from the real services; a deposit made elsewhere appears without a reload.
// Screenshots go into the test output for a person to look at.
import { expect, test } from "@playwright/test";
import { signIn } from "./fixtures";

test("sign-in lands on the portfolio overview with KPIs, charts, ventures and activity", async ({
  page,
  browser,
}, testInfo) => {
  const stamp = Date.now().toString(36);
  // A venture to list (the founder's), created before the dashboard is opened.
  await signIn(page, "founder", "/ventures");
  const name = `Dashboard Kits ${stamp}`;
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Create venture" }).click();
  await expect(page.getByTestId("venture-row").filter({ hasText: name })).toBeVisible();

  await page.getByRole("link", { name: "Dashboard", exact: true }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole("heading", { name: "Portfolio overview" })).toBeVisible();
  for (const kpi of ["kpi-revenue", "kpi-spend", "kpi-burn", "kpi-runway", "kpi-cash", "kpi-approvals"]) {
    await expect(page.getByTestId(kpi)).not.toHaveText("—");
  }
  await expect(page.getByTestId("dashboard-venture-row").filter({ hasText: name })).toBeVisible();
  await expect(page.getByTestId("dashboard-venture-row").filter({ hasText: name })).toContainText(
    /healthy|warning|critical/,
  );
  await expect(page.getByTestId("chart-burn-runway").locator("svg.recharts-surface").first()).toBeVisible();
  await expect(page.getByTestId("activity-item").first()).toBeVisible();
  const cashBefore = (await page.getByTestId("kpi-cash").textContent()) ?? "";

  // A finance controller deposits in another browser; the founder's dashboard follows live.
  const context = await browser.newContext({ baseURL: testInfo.project.use.baseURL });
  const finance = await context.newPage();
  await signIn(finance, "finance_controller", "/treasury");
  await finance.getByLabel("Amount").fill("1234.56");
  await finance.getByLabel("Source").fill(`Dashboard top-up ${stamp}`);
  await finance.getByRole("button", { name: "Deposit" }).click();
  await expect(finance.getByTestId("deposit-result")).toContainText("1,234.56 USD");
  await expect(page.getByTestId("kpi-cash")).not.toHaveText(cashBefore);
  await expect(page.getByTestId("activity-feed")).toContainText("deposit recorded");
  await expect(page.getByTestId("chart-revenue-spend")).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("dashboard.png"), fullPage: true });
  await context.close();
});

test("every role can read the dashboard; the home page redirects to it", async ({ page }, testInfo) => {
  await signIn(page, "auditor", "/dashboard");
  await expect(page.getByTestId("kpi-cards")).toBeVisible();
  await page.goto("/");
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.screenshot({ path: testInfo.outputPath("dashboard-auditor.png"), fullPage: true });
});
