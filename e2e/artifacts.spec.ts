// ARTIF journey: a founder creates a landing page artifact, builds it and sees the preview and the
// build log, submits it for review; the admin (another person) approves; the founder publishes and
// the page is served at /p/<venture slug>/<artifact slug>. Screenshots of each screen go into the
// test output.
import { expect, test } from "@playwright/test";
import { signIn } from "./fixtures";

test("a landing page goes from IR to a published page", async ({ browser }, testInfo) => {
  test.setTimeout(180_000);
  const founderContext = await browser.newContext();
  const page = await founderContext.newPage();
  await signIn(page, "founder");

  const name = `Artifacts ${Date.now().toString(36)}`;
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Goal").fill("Sell solar kits to schools");
  await page.getByRole("button", { name: "Create venture" }).click();
  await page.getByTestId("venture-row").filter({ hasText: name }).getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  const ventureUrl = page.url();
  await page.getByTestId("venture-artifacts-link").click();
  await expect(page.getByRole("heading", { name: "Artifacts" })).toBeVisible();

  const title = `Solar Kits ${Date.now().toString(36)}`;
  await page.getByRole("textbox", { name: "Title", exact: true }).fill(title);
  await page.screenshot({ path: testInfo.outputPath("artifacts-new.png"), fullPage: true });
  await page.getByRole("button", { name: "Create artifact" }).click();
  await page
    .getByTestId("artifact-row")
    .filter({ hasText: title })
    .getByRole("link", { name: title })
    .click();
  await expect(page.getByRole("heading", { name: title })).toBeVisible();
  await expect(page.getByTestId("artifact-status")).toContainText("draft");

  await page.getByRole("button", { name: "Build", exact: true }).click();
  await expect(page.getByTestId("build-log")).toContainText(/Done in \d+ ms/, { timeout: 60_000 });
  await expect(page.getByTestId("artifact-preview")).toBeVisible();
  await expect(
    page.frameLocator('[data-testid="artifact-preview"]').getByRole("heading", { name: title }),
  ).toBeVisible();
  await expect(page.getByTestId("build-nodes")).toContainText("builtin");
  await expect(page.getByTestId("provenance")).toContainText("Build hash");
  await expect(page.getByText(/Signature valid/)).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("artifact-built.png"), fullPage: true });

  await page.getByRole("button", { name: "Submit for review" }).click();
  await expect(page.getByTestId("artifact-status")).toContainText("in review");
  // The author cannot approve their own work.
  await page.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByTestId("artifact-error")).toContainText("separation of duties");
  const artifactUrl = page.url();

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signIn(admin, "admin");
  await admin.goto(artifactUrl);
  await expect(admin.getByTestId("artifact-status")).toContainText("in review");
  await admin.getByRole("button", { name: "Approve" }).click();
  await expect(admin.getByTestId("artifact-status")).toContainText("approved");
  await admin.screenshot({ path: testInfo.outputPath("artifact-approved.png"), fullPage: true });
  await adminContext.close();

  await page.reload();
  await expect(page.getByTestId("artifact-status")).toContainText("approved");
  await page.getByRole("button", { name: "Publish" }).click();
  await expect(page.getByTestId("artifact-status")).toContainText("published");
  const link = page.getByTestId("published-link");
  await expect(link).toHaveText(/^\/p\/[a-z0-9-]+\/[a-z0-9-]+$/);
  const path = (await link.textContent())!;
  await page.screenshot({ path: testInfo.outputPath("artifact-published.png"), fullPage: true });

  // The published page is public: a fresh context without a session gets it.
  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  const response = await visitor.goto(path);
  expect(response?.status()).toBe(200);
  await expect(visitor.getByRole("heading", { name: title })).toBeVisible();
  await visitor.screenshot({ path: testInfo.outputPath("published-page.png"), fullPage: true });
  const missing = await visitor.goto(`${path}-nope`);
  expect(missing?.status()).toBe(404);
  await visitorContext.close();

  expect(ventureUrl).toContain("/ventures/");
  await founderContext.close();
});
