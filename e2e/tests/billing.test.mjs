// Buying in the browser app: the public pricing page, a pack bought through the sandbox's
// TEST MODE checkout from it, the result page that verifies and credits it, a declined
// payment that credits nothing, a plan started and cancelled, and the billing page listing
// payments with their receipts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, BASE, screenshot, signUp } from "./helpers.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function phone(page, name) {
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, `${name}-390`);
  await page.setViewportSize({ width: 1280, height: 800 });
}

test("a signed-out visitor sees the prices and is asked to sign up to buy", async () => {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(BASE + "/pricing");
  const pack = page.getByTestId("item-pack-100");
  await pack.getByText("$9").first().waitFor();
  await pack.getByText("100 credits").waitFor();
  await page.getByTestId("item-topup-10").getByText("$1").first().waitFor();
  await page.getByTestId("plan-lite-monthly").getByText("500 credits each month").waitFor();
  await page.getByRole("button", { name: "Yearly" }).click();
  await page.getByTestId("plan-lite-yearly").getByText("3,000 credits each year").waitFor();
  const signUpLink = pack.getByRole("link", { name: "Sign up to buy" });
  assert.equal(await signUpLink.getAttribute("href"), "/sign-in?next=/pricing");
  assert.equal(await page.getByRole("button", { name: /^Buy for/ }).count(), 0);
  await screenshot(page, "pricing-signed-out");
  await phone(page, "pricing-signed-out");
  await page.context().close();
});

test("a pack bought from the pricing page is credited and listed with its receipt", async () => {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signUp(page, "buyer", "Bea Buyer");
  await page.goto(BASE + "/pricing");
  await page.getByTestId("test-mode").waitFor();
  await page.getByTestId("buy-pack-100").click();
  await page.waitForURL(/\/api\/v1\/billing\/sandbox\/checkout/);
  await page.getByText("TEST MODE").first().waitFor();
  await page.getByRole("button", { name: /^Pay / }).click();

  await page.waitForURL(/\/billing\/result\?/);
  const result = page.locator('[data-testid="billing-result"][data-outcome="paid"]');
  await result.getByText("Paid — 100 credits added").waitFor();
  await result.getByText("Your balance is now 150 credits.").waitFor();
  await page.getByTestId("nav-balance").filter({ hasText: "150 credits" }).waitFor();
  await screenshot(page, "billing-result-paid");
  await phone(page, "billing-result-paid");

  // Reloading the result page verifies again and credits nothing more.
  await page.reload();
  await result.getByText("Paid — 100 credits added").waitFor();
  await page.getByTestId("nav-balance").filter({ hasText: "150 credits" }).waitFor();

  await page.getByRole("link", { name: "All payments" }).click();
  await page.waitForURL("**/billing");
  await page.getByTestId("plan-name").filter({ hasText: "Free" }).waitFor();
  const rows = page.getByTestId("payment-row");
  await rows.first().waitFor();
  assert.equal(await rows.count(), 1);
  await rows.first().getByText("100 credit pack").waitFor();
  await rows.first().getByText("Paid", { exact: true }).waitFor();
  await rows.first().getByText("$9").waitFor();
  const download = page.waitForEvent("download");
  await rows.first().getByTestId("receipt").click();
  const file = await download;
  assert.match(file.suggestedFilename(), /\.pdf$/);
  await screenshot(page, "billing");
  await phone(page, "billing");
  await context.close();
});

test("a declined payment shows the failure and adds nothing", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signUp(page, "declined", "Dee Clined");
  await page.goto(BASE + "/pricing");
  await page.getByTestId("buy-topup-10").click();
  await page.waitForURL(/\/api\/v1\/billing\/sandbox\/checkout/);
  await page.getByRole("button", { name: "Fail the payment" }).click();
  await page.waitForURL(/\/billing\/result\?/);
  const result = page.locator('[data-testid="billing-result"][data-outcome="failed"]');
  await result.getByText("Payment failed — nothing was charged").waitFor();
  await result.getByRole("link", { name: "Try again" }).waitFor();
  await page.getByTestId("nav-balance").filter({ hasText: "50 credits" }).waitFor();
  await screenshot(page, "billing-result-failed");
  await phone(page, "billing-result-failed");
  await page.goto(BASE + "/billing");
  await page.getByTestId("payments").getByText("No payments yet").waitFor();
  await page.getByTestId("nav-balance").filter({ hasText: "50 credits" }).waitFor();
  await context.close();
});

test("a plan is started from the pricing page and cancelled on the billing page", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signUp(page, "planner", "Pat Planner");
  await page.goto(BASE + "/pricing");
  await page.getByTestId("buy-lite-monthly").click();
  await page.waitForURL(/\/api\/v1\/billing\/sandbox\/checkout/);
  await page.getByRole("button", { name: /^Pay / }).click();
  await page.waitForURL(/\/billing\/result\?/);
  const result = page.locator('[data-testid="billing-result"][data-outcome="paid"]');
  await result.getByText("You are on Lite — 500 credits added").waitFor();
  await page.getByTestId("nav-balance").filter({ hasText: "550 credits" }).waitFor();

  await page.goto(BASE + "/pricing");
  await page.getByTestId("plan-lite-monthly").getByText("Your plan").waitFor();
  await screenshot(page, "pricing-signed-in");
  await page.goto(BASE + "/billing");
  await page.getByTestId("plan-name").filter({ hasText: "Lite" }).waitFor();
  await page.getByTestId("plan-status").filter({ hasText: "Active" }).waitFor();
  await page.getByTestId("current-plan").getByText(/Renews on/).waitFor();
  await page.getByTestId("cancel-plan").click();
  await page.getByTestId("confirm-cancel").click();
  await page.getByTestId("plan-status").filter({ hasText: "Cancelled: ends with the paid period" }).waitFor();
  await page.getByTestId("current-plan").getByText(/Ends on/).waitFor();
  assert.equal(await page.getByTestId("cancel-plan").count(), 0);
  await screenshot(page, "billing-plan-cancelled");
  await context.close();
});
