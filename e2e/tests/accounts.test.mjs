// A new visitor signs up, sees themself, confirms their email, signs out and back in.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, BASE, uniqueEmail, mailedLink, screenshot } from "./helpers.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("sign up, see yourself, confirm email, sign out and in", async () => {
  const page = await browser.newPage();
  const email = uniqueEmail("writer");
  const password = "correct horse 7";
  // A first visit signed out asks nothing that fails: the browser logs nothing.
  const logged = [];
  page.on("console", (m) => logged.push(`${m.type()}: ${m.text()}`));
  page.on("requestfailed", (r) => logged.push(`failed: ${r.url()}`));
  page.on("response", (r) => r.status() >= 400 && logged.push(`${r.status()}: ${r.url()}`));

  await page.goto(BASE + "/");
  await page.getByRole("link", { name: "Create your account" }).waitFor();
  assert.deepEqual(logged, [], "a signed-out first visit logs nothing");
  await page.getByRole("link", { name: "Create your account" }).click();
  await page.waitForURL("**/sign-up");

  // Bad input is explained field by field.
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.locator('[data-field="email"]').filter({ hasText: "email address" }).waitFor();
  await page.locator('[data-field="password"]').filter({ hasText: "at least 10" }).waitFor();

  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Your name (optional)").fill("Ada Writer");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
  // A new account lands on its welcome: what the credits buy and where to start.
  await page.waitForURL("**/welcome");
  await page.getByRole("heading", { name: "Welcome, Ada Writer!" }).waitFor();
  await page.getByTestId("welcome-balance").filter({ hasText: "about 5,000 words" }).waitFor();
  await screenshot(page, "welcome");
  await page.getByRole("link", { name: "Ada Writer" }).click();
  await page.waitForURL("**/account");
  assert.equal(await page.getByTestId("email").textContent(), email);
  assert.equal(await page.getByTestId("display-name").textContent(), "Ada Writer");
  // The welcome bonus shows in the navigation and on the account page.
  await page.getByTestId("nav-balance").filter({ hasText: "50 credits" }).waitFor();
  await page.getByTestId("balance").filter({ hasText: "50 available" }).waitFor();
  await screenshot(page, "account");

  // A reload keeps the session (refresh cookie -> new access token).
  await page.reload();
  await page.getByTestId("email").waitFor();
  assert.equal(await page.getByTestId("email").textContent(), email);

  // The mailed link confirms the address.
  await page.goto(mailedLink(email));
  await page.getByText("Your email address is confirmed.").waitFor();
  await page.getByRole("link", { name: "Go to your account" }).click();
  await page.getByText("Yes").waitFor();

  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.waitForURL(BASE + "/");
  await page.getByRole("link", { name: "Sign in" }).first().waitFor();

  // A page that needs a session sends the visitor to sign in, then back to it.
  await page.goto(BASE + "/account/history?kind=welcome");
  await page.waitForURL(/\/sign-in\?next=/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("wrong password 1");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "Wrong email or password." }).waitFor();

  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/account/history?kind=welcome");
});

test("unknown pages show not found, and the API stays JSON", async () => {
  const page = await browser.newPage();
  await page.goto(BASE + "/no/such/page");
  await page.getByRole("heading", { name: "Not found" }).waitFor();
  const response = await page.request.get(BASE + "/api/v1/nothing");
  assert.equal(response.status(), 404);
  assert.equal((await response.json()).code, "not_found");
});
