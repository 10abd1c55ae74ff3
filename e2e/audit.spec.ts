// UJ-5, compliance audit with 90 days of evidence, in a real browser: an auditor verifies the
// chain with the Verify button, requests a 90-day evidence pack, downloads it and the offline
// verifier (`npx venture verify <file>`, run here as the auditor would on a laptop) passes on it;
// a row altered in the database is then detected and named. Screenshots go into the test output.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";
import pg from "pg";
import { baseDatabaseUrl } from "../test/urls";
import { signIn } from "./fixtures";
import { e2eUsers } from "./users";

const run = promisify(execFile);
/** The database e2e/serve.ts made for this run. */
const databaseUrl = baseDatabaseUrl("venture_e2e");

test("an auditor verifies the chain, downloads a 90-day evidence pack, and it verifies offline", async ({
  page,
}, testInfo) => {
  test.setTimeout(180_000);
  await signIn(page, "auditor");
  await page.goto("/audit");
  await expect(page.getByTestId("audit-row").first()).toBeVisible();

  // Verify: the compliance worker runs the full verification while the panel shows its progress.
  await page.getByTestId("verify-chain").click();
  const result = page.getByTestId("verification-result");
  await expect(result.getByText("Chain intact")).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("verification-summary")).toContainText(
    /\d+ events and \d+ signed checkpoints/,
  );
  await page.screenshot({ path: testInfo.outputPath("uj5-verified.png"), fullPage: true });

  // A pack for the last 90 days (the form's default period), built in the background.
  await page.getByRole("tab", { name: "Evidence packs" }).click();
  const from = await page.locator('input[name="from"]').inputValue();
  const to = await page.locator('input[name="to"]').inputValue();
  expect(Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000)).toBe(91);
  const before = await page.getByTestId("pack-row").count();
  await page.getByRole("button", { name: "Build evidence pack" }).click();
  await expect(page.getByTestId("pack-row")).toHaveCount(before + 1);
  const row = page.getByTestId("pack-row").first();
  await expect(row).toHaveAttribute("data-status", "ready", { timeout: 120_000 });
  await page.screenshot({ path: testInfo.outputPath("uj5-pack-ready.png"), fullPage: true });

  // Download it through the browser, as the auditor would.
  const downloading = page.waitForEvent("download");
  await row.getByTestId("pack-download").click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^evp_[0-9A-Z]{26}\.tar\.gz$/);
  const file = testInfo.outputPath(download.suggestedFilename());
  await download.saveAs(file);
  expect(fs.statSync(file).size).toBeGreaterThan(0);

  // The offline verifier: its own process, no database, no environment of the app.
  const verified = await run("npx", ["venture", "verify", file], {
    cwd: path.resolve("."),
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "production" },
    timeout: 120_000,
  });
  fs.writeFileSync(testInfo.outputPath("uj5-venture-verify.txt"), verified.stdout);
  expect(verified.stdout).toContain("✓ manifest.sig");
  expect(verified.stdout).toContain("✓ events.jsonl");
  expect(verified.stdout).toContain("✓ closing checkpoint");
  expect(verified.stdout).toMatch(/^OK: evidence pack .* verified: \d+ events/m);
});

test("a row altered in the database is detected and its sequence named", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  // The journey portfolio's first event, rewritten as a superuser with the triggers off.
  const { rows } = await client.query<{ sequence: string; id: string; envelope: string }>(
    `SELECT c.sequence, e.id, e.envelope FROM event_chain c JOIN event_log e ON e.id = c.event_id
      WHERE e.type = 'orchestration.portfolio_created' ORDER BY c.sequence LIMIT 1`,
  );
  const target = rows[0]!;
  const altered = target.envelope.replace('"name":"Journey Portfolio"', '"name":"Journey Portf0lio"');
  expect(altered).not.toBe(target.envelope);
  const rewrite = async (envelope: string) => {
    await client.query("SET session_replication_role = replica");
    await client.query("UPDATE event_log SET envelope = $2 WHERE id = $1", [target.id, envelope]);
    await client.query("SET session_replication_role = origin");
  };
  try {
    await rewrite(altered);
    await signIn(page, "auditor");
    await page.goto("/audit");
    await page.getByTestId("verify-chain").click();
    const result = page.getByTestId("verification-result");
    await expect(result.getByText("Tampering detected")).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId("first-bad-sequence")).toContainText(`sequence ${target.sequence}`);
    await expect(page.getByTestId("verification-message")).toContainText(target.id);
    await page.screenshot({ path: testInfo.outputPath("uj5-tamper-detected.png"), fullPage: true });
  } finally {
    // Put the row back so the journeys after this one run on a log that verifies.
    await rewrite(target.envelope);
    await client.end();
  }
  await page.getByTestId("verify-chain").click();
  await expect(page.getByTestId("verification-result").getByText("Chain intact")).toBeVisible({
    timeout: 60_000,
  });
});

test("an auditor answers a data subject request and downloads it as JSON", async ({ page }, testInfo) => {
  await signIn(page, "auditor");
  await page.goto("/audit");
  await page.getByRole("tab", { name: "Personal data" }).click();
  await page.getByLabel("Subject (id, user id or email)").fill(e2eUsers.founder);
  await page.getByRole("button", { name: "Find personal data" }).click();
  const subject = page.getByTestId("dsar-subject");
  await expect(subject).toHaveCount(1);
  await expect(subject).toContainText("person");
  await expect(subject).toContainText("active");
  // Auditors read and export; only admins erase.
  await expect(page.getByTestId("erase-subject")).toHaveCount(0);
  const downloading = page.waitForEvent("download");
  await page.getByTestId("dsar-download").click();
  const download = await downloading;
  const file = testInfo.outputPath(download.suggestedFilename());
  await download.saveAs(file);
  const exported = JSON.parse(fs.readFileSync(file, "utf8")) as {
    subjects: Array<{ events: Array<{ type: string; payload: { email?: string } }> }>;
  };
  expect(exported.subjects[0]!.events).toContainEqual(
    expect.objectContaining({
      type: "identity.user_registered",
      payload: expect.objectContaining({ email: e2eUsers.founder }),
    }),
  );
  await page.screenshot({ path: testInfo.outputPath("uj5-dsar.png"), fullPage: true });
});
