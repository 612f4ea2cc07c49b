// The account area: rename, change the password and sign in with the new one, a personal API
// key (shown once, works from outside the browser, revoked stops working), the credit history
// with its filter, the usage chart by day and by model, and deleting the account.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, BASE, screenshot, signUp } from "./helpers.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const NEW_PASSWORD = "new horse 8 ok";

/** Waits until `check()` is true, trying every 200 ms for up to `ms`. */
async function eventually(check, ms = 5000) {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 200));
  }
}

test("profile, password, API keys, history and chart, delete", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  const page = await context.newPage();
  await signUp(page, "account", "Ada Account");
  await page.getByRole("link", { name: "Ada Account" }).click();
  await page.waitForURL("**/account");
  const email = await page.getByTestId("email").textContent();
  const subnav = page.getByRole("navigation", { name: "Account" });
  assert.equal(await subnav.getByRole("link", { name: "Overview" }).getAttribute("aria-current"), "page");
  assert.equal(await page.getByTestId("role").textContent(), "Member");

  // Rename: the card and the navigation follow.
  await page.getByLabel("Display name").fill("Ada Renamed");
  await page.getByRole("button", { name: "Save name" }).click();
  await page.getByRole("status").filter({ hasText: "Your name is now Ada Renamed." }).waitFor();
  await page.getByTestId("display-name").filter({ hasText: "Ada Renamed" }).waitFor();
  await page.getByRole("link", { name: "Ada Renamed" }).waitFor();

  // A wrong current password is refused under its field; the right one changes it.
  const pw = page.getByTestId("change-password");
  await pw.getByLabel("Current password").fill("not my password 1");
  await pw.getByLabel("New password").fill(NEW_PASSWORD);
  await pw.getByRole("button", { name: "Change password" }).click();
  await pw.locator('[data-field="current_password"]').filter({ hasText: "not your current password" }).waitFor();
  await pw.getByLabel("Current password").fill("correct horse 7");
  await pw.getByRole("button", { name: "Change password" }).click();
  await pw.getByRole("status").filter({ hasText: "Your password is changed" }).waitFor();
  await screenshot(page, "account-overview");

  // Signed out, the new password lets them in and the old one does not.
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.waitForURL(BASE + "/");
  await page.goto(BASE + "/sign-in?next=/account");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse 7");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: "Wrong email or password." }).waitFor();
  await page.getByLabel("Password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/account");

  // A personal API key: its secret is shown once, with a Copy button.
  await subnav.getByRole("link", { name: "API keys" }).click();
  await page.waitForURL("**/account/api-keys");
  assert.equal(await subnav.getByRole("link", { name: "API keys" }).getAttribute("aria-current"), "page");
  await page.getByText("No keys yet.").waitFor();
  await page.getByLabel("Name", { exact: true }).fill("Laptop script");
  await page.getByRole("button", { name: "Create key" }).click();
  const box = page.getByTestId("new-secret");
  await box.getByText("It will not be shown again.").waitFor();
  const secret = await box.getByTestId("secret").inputValue();
  assert.ok(secret.length > 20, "the secret is shown");
  await box.getByRole("button", { name: "Copy" }).click();
  await box.getByRole("status").filter({ hasText: /Copied|selected/ }).waitFor();
  const row = page.getByTestId("api-key").filter({ hasText: "Laptop script" });
  await row.getByText("Never").waitFor();
  await screenshot(page, "account-api-keys");

  // The key works from outside the browser: the balance, and a generation it pays for.
  const auth = { Authorization: `Bearer ${secret}` };
  const balance = await fetch(BASE + "/api/v1/credits/balance", { headers: auth });
  assert.equal(balance.status, 200);
  assert.equal((await balance.json()).available_mc, 50000);
  const gen = await fetch(BASE + "/api/v1/generations", {
    method: "POST",
    headers: { ...auth, "Content-Type": "application/json" },
    body: JSON.stringify({ tool: "write", instructions: "A two-line poem about tea.", words: 40 }),
  });
  assert.equal(gen.status, 201);
  await gen.text(); // the stream ends when the generation is settled

  // The secret is gone after "Done"; revoking (with a confirm) stops the key.
  await box.getByRole("button", { name: "Done, I stored it" }).click();
  await box.waitFor({ state: "detached" });
  await row.getByRole("button", { name: "Revoke" }).click();
  await row.getByRole("button", { name: "Yes, revoke" }).click();
  await page.getByRole("status").filter({ hasText: 'Revoked "Laptop script"' }).waitFor();
  await page.getByTestId("api-key").filter({ hasText: "Revoked" }).waitFor();
  await eventually(async () => (await fetch(BASE + "/api/v1/credits/balance", { headers: auth })).status === 401);

  // The history: the welcome bonus and the generation; filtered to one kind by the address.
  await subnav.getByRole("link", { name: "History" }).click();
  await page.waitForURL("**/account/history");
  const welcome = page.getByTestId("entry-welcome");
  await welcome.getByText("Welcome bonus").waitFor();
  await welcome.getByText("+50").waitFor();
  await page.getByTestId("entry-generation").first().waitFor();
  await page.getByLabel("What").selectOption("welcome");
  await page.getByRole("button", { name: "Show", exact: true }).click();
  await page.waitForURL("**/account/history?kind=welcome");
  await page.getByTestId("entry-generation").first().waitFor({ state: "detached" });
  assert.equal(await page.getByTestId("entry-welcome").count(), 1);
  // A date range: nothing from tomorrow on; today's entries when it ends today.
  const day = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
  await page.getByLabel("What").selectOption("");
  await page.getByLabel("From").fill(day(1));
  await page.getByRole("button", { name: "Show", exact: true }).click();
  await page.getByTestId("history-empty").waitFor();
  await page.getByLabel("From").fill(day(-1));
  await page.getByLabel("To").fill(day(0));
  await page.getByRole("button", { name: "Show", exact: true }).click();
  await page.getByTestId("entry-welcome").waitFor();
  await page.getByRole("link", { name: "Clear filters" }).click();
  await page.getByTestId("entry-generation").first().waitFor();

  // The chart: 30-odd days of bars, one with today's spending; then by model, by name.
  const chart = page.getByTestId("usage-chart");
  await chart.waitFor();
  assert.ok((await chart.locator("rect").count()) >= 30, "a bar per day");
  assert.match(await chart.getAttribute("aria-label"), /credits in all/);
  await screenshot(page, "account-history");
  await page.getByRole("button", { name: "By model" }).click();
  await eventually(async () => (await chart.locator("rect").count()) === 1);
  const tip = await chart.locator("rect title").first().textContent();
  assert.match(tip, /credits, \d+ words/);
  assert.doesNotMatch(tip, /offline-demo/, "the model's display name, not its id");
  await page.getByText("Show as a table").click();
  await page.getByRole("columnheader", { name: "Model" }).waitFor();

  // At phone width the page still works: the table scrolls inside its card.
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, "account-history-phone");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false, "no sideways scrolling of the whole page");
  await page.goto(BASE + "/account/api-keys");
  await page.getByTestId("api-key").first().waitFor();
  await screenshot(page, "account-api-keys-phone");
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth), false);

  // Deleting needs the password and the typed word.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(BASE + "/account");
  const zone = page.getByTestId("delete-account");
  await zone.getByRole("button", { name: "Delete my account…" }).click();
  await zone.getByLabel("Your password").fill(NEW_PASSWORD);
  const confirm = zone.getByRole("button", { name: "Delete my account for good" });
  assert.equal(await confirm.isDisabled(), true);
  await zone.getByLabel("Type DELETE to confirm").fill("DELETE");
  await confirm.click();
  await page.waitForURL(BASE + "/");
  const gone = await fetch(BASE + "/api/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password: NEW_PASSWORD }),
  });
  assert.equal(gone.status, 401);
  await context.close();
});
