// A writer saves their own OpenAI key on the account page: only a hint of it is ever shown,
// it is still there after a reload, it can be removed, and a key that cannot be one is
// refused under its field.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, screenshot, signUp } from "./helpers.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const KEY = "sk-test-1234567890abcd";

test("save an own provider key, see only its hint, keep it across a reload, remove it", async () => {
  const page = await browser.newPage();
  await signUp(page, "keyholder", "Kit Holder");
  await page.getByRole("link", { name: "Kit Holder" }).click();
  await page.waitForURL("**/account");

  const keys = page.getByTestId("provider-keys");
  await keys.getByText("No keys saved").waitFor();
  await keys.getByLabel("Provider").selectOption("openai");
  const field = keys.getByLabel("Key");
  assert.equal(await field.getAttribute("type"), "password");
  await field.fill(KEY);
  await keys.getByRole("button", { name: "Save key" }).click();

  const row = page.getByTestId("provider-key-openai");
  await row.filter({ hasText: "sk-…abcd" }).waitFor();
  await keys.getByRole("status").filter({ hasText: "Saved your OpenAI key sk-…abcd." }).waitFor();
  assert.equal(await field.inputValue(), "");
  assert.ok(!(await page.content()).includes(KEY), "the key itself is on the page");
  await screenshot(page, "provider-keys");

  await page.reload();
  await row.filter({ hasText: "OpenAI" }).filter({ hasText: "sk-…abcd" }).waitFor();
  assert.ok(!(await page.content()).includes(KEY), "the key itself is on the page after a reload");

  // Removing asks first; keeping it changes nothing.
  await row.getByRole("button", { name: "Remove" }).click();
  await row.getByRole("button", { name: "Keep it" }).click();
  await row.getByRole("button", { name: "Remove" }).click();
  await row.getByRole("button", { name: "Yes, remove it" }).click();
  await row.waitFor({ state: "detached" });
  await keys.getByText("No keys saved").waitFor();

  await field.fill("short");
  await keys.getByRole("button", { name: "Save key" }).click();
  await keys.locator('[data-field="key"]').filter({ hasText: "8 to 500" }).waitFor();
  assert.equal(await page.getByTestId("provider-key-openai").count(), 0);
});
