// A writer saves their own OpenAI key on the account page: only a hint of it is ever shown,
// it is still there after a reload, it can be removed, and a key that cannot be one, or that
// the provider refuses, is refused under its field. A saved DeepInfra key makes DeepInfra's
// models available in the writer, and writing with one costs no credits. The providers are
// the local fake (`penora-fake-upstream`): it refuses keys containing "refused".
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, BASE, screenshot, signUp } from "./helpers.mjs";

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

  // A key the provider refuses is not saved.
  await field.fill("sk-refused-1234567890");
  await keys.getByRole("button", { name: "Save key" }).click();
  await keys.locator('[data-field="key"]').filter({ hasText: "The provider refused this key" }).waitFor();
  assert.equal(await page.getByTestId("provider-key-openai").count(), 0);
});

test("an own DeepInfra key unlocks its models in the writer, free of credits", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signUp(page, "ownkey", "Owen Key");
  await page.goto(BASE + "/write");
  const model = page.getByLabel("Model");
  await model.locator("option", { hasText: "Mistral 7B Instruct" }).filter({ hasText: "needs a DeepInfra key" }).waitFor({ state: "attached" });

  await page.goto(BASE + "/account");
  const keys = page.getByTestId("provider-keys");
  await keys.getByLabel("Provider").selectOption("deepinfra");
  await keys.getByLabel("Key").fill("di-own-key-0123456789");
  await keys.getByRole("button", { name: "Save key" }).click();
  await page.getByTestId("provider-key-deepinfra").waitFor();
  const before = await page.getByTestId("nav-balance").textContent();

  await page.goto(BASE + "/write");
  const mistral = model.locator("option", { hasText: "Mistral 7B Instruct" });
  await mistral.filter({ hasText: "your DeepInfra key, no credits" }).waitFor({ state: "attached" });
  await model.selectOption({ label: await mistral.textContent() });
  await page.getByLabel("Tool", { exact: true }).selectOption("write");
  await page.getByLabel("Instructions").fill("Anything at all.");
  await page.keyboard.press("Control+Enter");
  await page.getByTestId("output").filter({ hasText: "Written with your own key." }).waitFor();
  await page.getByTestId("result").waitFor();
  await page.reload();
  await page.getByTestId("nav-balance").filter({ hasText: "credits" }).waitFor();
  assert.equal(await page.getByTestId("nav-balance").textContent(), before);
});
