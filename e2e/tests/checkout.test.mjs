// The sandbox gateway's TEST MODE checkout page in a real browser: it renders under its own
// Content-Security-Policy, pays when the tester clicks Pay, and hands the signed result back
// in the return URL, which verifies and credits the pack once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, BASE, uniqueEmail, screenshot } from "./helpers.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function api(path, { token, body, method } = {}) {
  const response = await fetch(BASE + path, {
    method: method ?? (body ? "POST" : "GET"),
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: await response.json() };
}

test("a pack bought on the sandbox's checkout page is credited once", async () => {
  const signup = await api("/api/v1/auth/signup", {
    body: { email: uniqueEmail("checkout"), password: "correct horse 7" },
  });
  assert.equal(signup.status, 201);
  const token = signup.body.access_token;
  const order = await api("/api/v1/billing/orders", { token, body: { item_id: "pack-100" } });
  assert.equal(order.status, 201);
  assert.equal(order.body.gateway, "sandbox");
  const checkout = new URL(order.body.checkout_url);

  const page = await browser.newPage();
  const violations = [];
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  const opened = await page.goto(`${BASE}${checkout.pathname}${checkout.search}&return_url=/account`);
  assert.equal(opened.status(), 200);
  const policy = opened.headers()["content-security-policy"] ?? "";
  assert.match(policy, /script-src 'self';/);
  assert.match(policy, /frame-src 'none'/);
  await page.getByText("TEST MODE").first().waitFor();
  await page.getByText("100 credit pack").first().waitFor();
  await screenshot(page, "sandbox-checkout");
  await page.getByRole("button", { name: "Pay 9.00 USD" }).click();
  await page.waitForURL(/razorpay_payment_id=pay_/);

  const back = new URL(page.url());
  assert.equal(back.pathname, "/account");
  assert.equal(back.searchParams.get("status"), "paid");
  const verified = await api(`/api/v1/billing/orders/${order.body.order_id}/verify`, {
    token,
    body: {
      razorpay_order_id: back.searchParams.get("razorpay_order_id"),
      razorpay_payment_id: back.searchParams.get("razorpay_payment_id"),
      razorpay_signature: back.searchParams.get("razorpay_signature"),
    },
  });
  assert.equal(verified.status, 200, JSON.stringify(verified.body));
  assert.equal(verified.body.payment.credits_mc, 100000);
  // The sandbox's webhooks arrive too; they credit nothing more.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const purchases = await api("/api/v1/credits/transactions?kind=purchase", { token });
  assert.equal(purchases.body.items.length, 1);
  const balance = await api("/api/v1/credits/balance", { token });
  assert.equal(balance.body.balance_mc, 150000);
  assert.deepEqual(violations, []);
  await page.close();
});

test("a failed payment on the checkout page credits nothing", async () => {
  const signup = await api("/api/v1/auth/signup", {
    body: { email: uniqueEmail("declined"), password: "correct horse 7" },
  });
  const token = signup.body.access_token;
  const order = await api("/api/v1/billing/orders", { token, body: { item_id: "topup-10" } });
  const checkout = new URL(order.body.checkout_url);
  const page = await browser.newPage();
  await page.goto(`${BASE}${checkout.pathname}${checkout.search}`);
  await page.getByRole("button", { name: "Fail the payment" }).click();
  await page.locator("#result").filter({ hasText: "failed" }).waitFor();
  const balance = await api("/api/v1/credits/balance", { token });
  assert.equal(balance.body.balance_mc, 50000);
  await page.close();
});
