// The admin area: a writer who is not an admin is turned away; once the command line makes
// them one (`penora admin grant-admin`, run on the server's own data directory), they find a
// user by email, adjust the user's credits with a reason after a confirmation showing the
// new balance, and see the adjustment in the user's ledger, in the audit log, and in the
// user's own nav balance. App keys are made (secret shown once) and revoked after a confirm;
// part of a sandbox payment is refunded, showing the credits it took back.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { BASE, launch, screenshot, uniqueEmail } from "./helpers.mjs";

const DATA_DIR = process.env.PENORA_E2E_DATA_DIR ?? "../data";
// The server under test; `cargo xtask e2e` builds it into the cargo target directory.
const PENORA = process.env.PENORA_E2E_BIN
  ?? join(process.env.CARGO_TARGET_DIR ?? resolve("../target"), "debug/penora");

let browser;
// One account for every test here (sign-ups are limited per address and hour): a writer
// until the first test makes it an admin.
const adminEmail = uniqueEmail("admin");
before(async () => {
  browser = await launch();
  const made = await api("/api/v1/auth/signup", {
    body: { email: adminEmail, password: "correct horse 7", display_name: "Alex Admin" },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
});
after(async () => { await browser?.close(); });

async function api(path, { token, body } = {}) {
  const response = await fetch(BASE + path, {
    method: body ? "POST" : "GET",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: await response.json() };
}

/** Signs `email` in; lands on the writer. */
async function signInAs(page, email) {
  await page.goto(BASE + "/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse 7");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/write");
}

/** Signs up `email`; lands on the welcome page with the welcome credits. */
async function signUpAs(page, email, name) {
  await page.goto(BASE + "/sign-up");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Your name (optional)").fill(name);
  await page.getByLabel("Password").fill("correct horse 7");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL("**/welcome");
  await page.getByTestId("nav-balance").filter({ hasText: "50 credits" }).waitFor();
}

function grantAdmin(email) {
  const env = { ...process.env, PENORA_DATA_DIR: resolve(DATA_DIR) };
  delete env.DATABASE_URL;
  const out = execFileSync(PENORA, ["admin", "grant-admin", "--email", email], { env, encoding: "utf8" });
  assert.match(out, /is now an admin/);
}

test("an admin adjusts a user's credits with a reason and finds it in the ledger and audit log", async () => {
  const writer = await browser.newPage();
  const writerEmail = uniqueEmail("adjusted");
  await signUpAs(writer, writerEmail, "Ada Adjusted");

  const admin = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signInAs(admin, adminEmail);

  // Not an admin yet: no nav link, and the page says so.
  assert.equal(await admin.getByRole("link", { name: "Admin", exact: true }).count(), 0);
  await admin.goto(BASE + "/admin/users");
  await admin.getByTestId("admin-refused").getByText("This page is for administrators").waitFor();
  await screenshot(admin, "admin-refused");

  grantAdmin(adminEmail);
  await admin.goto(BASE + "/account");
  await admin.getByRole("link", { name: "Admin", exact: true }).click();
  await admin.waitForURL("**/admin/users");

  // Find the writer by part of their email.
  const users = admin.getByTestId("admin-users");
  await users.getByLabel("Search users by email").fill(writerEmail.split("@")[0]);
  await users.getByRole("button", { name: "Search" }).click();
  const row = users.getByTestId("admin-user-row");
  await row.filter({ hasText: writerEmail }).waitFor();
  await row.nth(1).waitFor({ state: "detached" });
  await screenshot(admin, "admin-users");
  await row.getByRole("link", { name: writerEmail }).click();
  await admin.getByTestId("admin-user-balance").filter({ hasText: "50 credits" }).waitFor();

  // The form checks what it can before asking the server.
  const adjust = admin.getByTestId("admin-adjust");
  await adjust.getByLabel("Amount in credits").fill("1.2345");
  await adjust.getByRole("button", { name: "Review adjustment" }).click();
  await adjust.getByText("Amount can have at most 3 decimal places.").waitFor();
  await adjust.getByText("Give a reason").waitFor();
  await adjust.getByLabel("Amount in credits").fill("-60");
  await adjust.getByLabel("Reason").fill("Test");
  await adjust.getByRole("button", { name: "Review adjustment" }).click();
  await adjust.getByText("Amount would take the balance below zero").waitFor();

  // Add 12.5 credits, confirmed with the balance it leaves.
  const reason = `Goodwill for a failed export ${Date.now()}`;
  await adjust.getByLabel("Amount in credits").fill("12.5");
  await adjust.getByLabel("Reason").fill(reason);
  await adjust.getByRole("button", { name: "Review adjustment" }).click();
  await adjust.getByTestId("adjust-confirm").filter({ hasText: "from 50 to 62.5 credits" }).waitFor();
  await adjust.getByRole("button", { name: "Confirm adjustment" }).click();
  await admin.getByTestId("adjust-notice").filter({ hasText: "Added 12.5 credits. The balance is now 62.5 credits." }).waitFor();
  await admin.getByTestId("admin-user-balance").filter({ hasText: "62.5 credits" }).waitFor();
  const entry = admin.getByTestId("ledger-row").filter({ hasText: reason });
  await entry.filter({ hasText: "Adjustment by Penora" }).filter({ hasText: "+12.5" }).waitFor();
  await screenshot(admin, "admin-user");

  // The writer sees the new balance.
  await writer.reload();
  await writer.getByTestId("nav-balance").filter({ hasText: "62.5 credits" }).waitFor();

  // The audit log about this user holds the adjustment, by this admin.
  await admin.getByRole("link", { name: "Audit log about this user" }).click();
  await admin.waitForURL("**/admin/audit?subject=*");
  const audit = admin.getByTestId("audit-row").filter({ hasText: "Credits adjusted by an admin" });
  await audit.filter({ hasText: "amount: +12.5 credits" }).filter({ hasText: reason }).waitFor();
  // Filtering by what happened keeps it; another action leaves nothing about this user.
  await admin.getByLabel("What happened").selectOption("auth.login_failed");
  await admin.getByRole("button", { name: "Apply filters" }).click();
  await admin.getByText("Nothing matches these filters.").waitFor();
  await admin.getByLabel("What happened").selectOption("admin.balance_adjusted");
  await admin.getByRole("button", { name: "Apply filters" }).click();
  await audit.waitFor();
  await screenshot(admin, "admin-audit");

  // At phone width the tables scroll inside their card instead of widening the page.
  await admin.setViewportSize({ width: 390, height: 844 });
  await audit.waitFor();
  const overflow = await admin.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page is ${overflow}px wider than the phone`);
  await screenshot(admin, "admin-audit-phone");
  await admin.goto(BASE + "/admin/users?q=" + encodeURIComponent(writerEmail));
  await admin.getByTestId("admin-user-row").filter({ hasText: writerEmail }).waitFor();
  await screenshot(admin, "admin-users-phone");
});

test("an admin makes an app key, sees its secret once, and revokes it after confirming", async () => {
  const admin = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  grantAdmin(adminEmail);
  await signInAs(admin, adminEmail);
  await admin.goto(BASE + "/admin/app-keys");

  const create = admin.getByTestId("create-app-key");
  const name = `imagegene-${Date.now()}`;
  await create.getByLabel("Name (which app it is for)").fill(name);
  await create.getByLabel("Look up users").check();
  await create.getByLabel("Spend and give back credits").check();
  await create.getByRole("button", { name: "Create key" }).click();
  const secret = create.getByTestId("app-key-secret");
  await secret.getByText("Store it now: it cannot be shown again.").waitFor();
  const value = await secret.getByLabel("The new app key").inputValue();
  assert.ok(value.length > 20, "the secret is shown");

  const row = admin.getByTestId("app-key-row").filter({ hasText: name });
  await row.filter({ hasText: "Look up users" }).filter({ hasText: "Spend and give back credits" }).waitFor();
  await screenshot(admin, "admin-app-keys");
  await secret.getByRole("button", { name: "Done" }).click();
  await admin.reload();
  assert.ok(!(await admin.content()).includes(value), "the secret is shown again");

  await row.getByRole("button", { name: "Revoke" }).click();
  await row.getByRole("button", { name: "Keep" }).click();
  await row.getByRole("button", { name: "Revoke" }).click();
  await row.getByRole("button", { name: "Revoke now" }).click();
  await row.filter({ hasText: "Revoked" }).waitFor();
  await admin.getByRole("status").filter({ hasText: `Revoked “${name}”` }).waitFor();

  // Payments open too (this server has none yet, or some from the checkout tests).
  await admin.getByRole("link", { name: "Payments" }).click();
  await admin.getByTestId("admin-payments").getByRole("heading", { name: "Payments" }).waitFor();
  await screenshot(admin, "admin-payments");
});

test("an admin refunds part of a sandbox payment and sees what it took back", async () => {
  // A writer buys the 100 credit pack on the sandbox's checkout page.
  const signup = await api("/api/v1/auth/signup", {
    body: { email: uniqueEmail("refunded"), password: "correct horse 7" },
  });
  const token = signup.body.access_token;
  const order = await api("/api/v1/billing/orders", { token, body: { item_id: "pack-100" } });
  assert.equal(order.status, 201, JSON.stringify(order.body));
  const checkout = new URL(order.body.checkout_url);
  const buyer = await browser.newPage();
  await buyer.goto(`${BASE}${checkout.pathname}${checkout.search}&return_url=/account`);
  await buyer.getByRole("button", { name: /^Pay / }).click();
  await buyer.waitForURL(/razorpay_payment_id=pay_/);
  const back = new URL(buyer.url());
  const verified = await api(`/api/v1/billing/orders/${order.body.order_id}/verify`, {
    token,
    body: {
      razorpay_order_id: back.searchParams.get("razorpay_order_id"),
      razorpay_payment_id: back.searchParams.get("razorpay_payment_id"),
      razorpay_signature: back.searchParams.get("razorpay_signature"),
    },
  });
  assert.equal(verified.status, 200, JSON.stringify(verified.body));
  await buyer.close();

  const admin = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  grantAdmin(adminEmail);
  await signInAs(admin, adminEmail);
  await admin.goto(`${BASE}/admin/payments?user_id=${signup.body.user.id}`);
  const row = admin.getByTestId("payment-row").filter({ hasText: "100 credit pack" });
  await row.filter({ hasText: "Paid" }).waitFor();
  await row.getByRole("button", { name: "Refund…" }).click();

  const form = admin.getByTestId("refund-form");
  await form.getByLabel("Amount to refund").fill("100");
  await form.getByRole("button", { name: "Review refund" }).click();
  await form.getByText("Amount can be at most").waitFor();
  await form.getByLabel("Amount to refund").fill("4.50");
  await form.getByRole("button", { name: "Review refund" }).click();
  await form.getByTestId("refund-confirm").filter({ hasText: "Refund $4.50" }).waitFor();
  // The first answer is lost on its way back (the server did refund): trying again sends the
  // same key and gets that refund, not a second one.
  let answers = 0;
  await admin.route("**/api/v1/admin/payments/*/refunds", async (route) => {
    answers += 1;
    if (answers === 1) {
      await route.fetch();
      await route.abort("connectionreset");
    } else {
      await route.continue();
    }
  });
  await form.getByRole("button", { name: "Confirm refund" }).click();
  await form.getByText("No answer confirmed the refund").waitFor();
  await form.getByRole("button", { name: "Try again" }).click();
  await form.getByTestId("refund-result").filter({ hasText: "Refunded $4.50. Took back 50 credits." }).waitFor();
  await row.filter({ hasText: "Partly refunded" }).waitFor();
  await screenshot(admin, "admin-refund");
  const balance = await api("/api/v1/credits/balance", { token });
  assert.equal(balance.body.balance_mc, 100000);
});
