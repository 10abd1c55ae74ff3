// Notifications and outgoing webhooks in a real browser (CTRL-006): an admin registers a webhook
// (the secret is shown once), a finance controller freezes the treasury, the admin's bell shows it
// without a reload, the webhook receiver (a real local HTTP server started by this test) gets a
// POST whose signature verifies with that secret, and the delivery log says it was delivered.
// Screenshots of each screen go into the test output.
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { signIn } from "./fixtures";

type Received = { headers: http.IncomingHttpHeaders; body: string };

function verify(secret: string, header: string, body: string): boolean {
  const parts = Object.fromEntries(header.split(",").map((part) => part.split("=") as [string, string]));
  const expected = createHmac("sha256", secret).update(`${parts.t}.${body}`).digest();
  const given = Buffer.from(parts.v1 ?? "", "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

test("a freeze reaches the bell without reload and a signed webhook, with its delivery logged", async ({
  page,
  browser,
}, testInfo) => {
  test.setTimeout(120_000);
  const shot = (target: typeof page, name: string) =>
    target.screenshot({ path: testInfo.outputPath(name), fullPage: true });
  const received: Received[] = [];
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/venture-hook`;
  const finance = await (await browser.newContext()).newPage();
  const reason = `E2E freeze ${Date.now().toString(36)}`;
  let frozen = false;
  try {
    // The admin registers the webhook; the secret is shown this once.
    await signIn(page, "admin");
    await page.goto("/webhooks");
    await page.getByLabel("Endpoint URL").fill(url);
    await page.getByLabel("Description").fill("e2e receiver");
    await page.getByRole("checkbox", { name: /treasury\.frozen/ }).check();
    await page.getByRole("button", { name: "Register webhook" }).click();
    const secretBox = page.getByTestId("webhook-secret");
    await expect(secretBox).toBeVisible();
    const secret = (await secretBox.locator("code").textContent())!.trim();
    expect(secret).toMatch(/^whsec_/);
    await expect(page.getByTestId("webhook-row").filter({ hasText: url })).toBeVisible();
    await shot(page, "1-webhook-registered.png");
    // The admin keeps the bell open on another page while the freeze happens elsewhere.
    await page.goto("/ventures");
    await page.getByTestId("notification-bell").click();
    const panel = page.getByTestId("notification-panel");
    await expect(panel).toBeVisible();

    // The finance controller freezes the portfolio's treasury.
    await signIn(finance, "finance_controller");
    await finance.goto("/inbox");
    await finance.getByLabel("Freeze reason").fill(reason);
    await finance.getByRole("button", { name: "Freeze treasury" }).click();
    await expect(finance.getByTestId("freeze-banner")).toContainText(reason);
    frozen = true;

    // The admin's open bell shows it without a reload, with the unread badge.
    await expect(panel).toContainText("The portfolio's treasury is frozen", { timeout: 30_000 });
    await expect(panel).toContainText(reason);
    await expect(page.getByTestId("notification-badge")).toBeVisible();
    await shot(page, "2-bell-frozen.png");

    // The receiver got it, signed with the secret shown once.
    await expect.poll(() => received.length, { timeout: 30_000 }).toBeGreaterThan(0);
    const [hit] = received;
    expect(hit!.headers["venture-event-type"]).toBe("treasury.frozen");
    expect(verify(secret, String(hit!.headers["venture-signature"]), hit!.body)).toBe(true);
    expect(verify("whsec_not_the_secret", String(hit!.headers["venture-signature"]), hit!.body)).toBe(false);
    expect(JSON.parse(hit!.body)).toMatchObject({
      type: "treasury.frozen",
      text: expect.stringContaining(reason),
    });

    // Marking it read empties the badge for it; the full list keeps it, read.
    await panel.getByTestId("notification-item").filter({ hasText: reason }).click();
    await page.goto("/notifications");
    const row = page.getByTestId("notification-row").filter({ hasText: reason });
    await expect(row).toHaveAttribute("data-unread", "false");
    await shot(page, "3-notifications-page.png");

    // The delivery log says delivered, first attempt.
    await page.goto("/webhooks");
    const endpoint = page.getByTestId("webhook-row").filter({ hasText: url });
    await endpoint.getByRole("button", { name: "Delivery log" }).click();
    const delivery = endpoint.getByTestId("delivery-row").first();
    await expect(delivery).toContainText("succeeded");
    await expect(delivery).toContainText("1/8");
    await shot(page, "4-delivery-log.png");
    await endpoint.getByRole("button", { name: "Disable" }).click();
    await expect(endpoint).toContainText("disabled");
  } finally {
    // Leave the journey portfolio unfrozen for the specs that follow.
    if (frozen) {
      await finance.goto("/inbox");
      await finance.getByLabel("Freeze reason").fill("E2E cleanup");
      await finance.getByRole("button", { name: "Unfreeze" }).click();
      await expect(finance.getByTestId("freeze-banner")).toHaveCount(0);
    }
    await finance.context().close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
});
