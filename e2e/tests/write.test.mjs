// A writer continues a paragraph with the offline model in the writer, watches the text
// arrive and what it costs, saves it as a project; then starts a long piece, stops it
// midway, and is charged only for the words delivered.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, BASE, screenshot, signUp, balanceAfter } from "./helpers.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PARAGRAPH =
  "The lighthouse had been dark for eleven years when Ana climbed its stairs again. " +
  "Salt had eaten the railings, and the great lens was furred with dust.";

async function openWrite(page) {
  await page.getByRole("link", { name: "Write", exact: true }).click();
  await page.waitForURL("**/write");
  // The catalog has loaded once the default model is chosen.
  await page.getByLabel("Model").locator("option", { hasText: "Offline demo model" }).waitFor({ state: "attached" });
  assert.equal(await page.getByLabel("Model").inputValue(), "offline-demo");
}

/** "Done: 143 words, 1.43 credits" -> { words: 143, credits: 1.43 } */
function spent(result) {
  const match = result.match(/: (\d+) words?, ([\d.]+) credits?/);
  assert.ok(match, `no words and credits in "${result}"`);
  return { words: Number(match[1]), credits: Number(match[2]) };
}

test("continue a paragraph live, see its model and cost, save it as a project", async () => {
  const page = await browser.newPage();
  await signUp(page, "writer", "Ana Writer");
  await openWrite(page);

  // Models that cannot run here are listed, not offered, and say why.
  const catalog = await (await page.request.get(BASE + "/api/v1/models")).json();
  for (const model of catalog.models.filter((m) => !m.available)) {
    const option = page.getByLabel("Model").locator(`option[value="${model.id}"]`);
    assert.match(await option.textContent(), new RegExp(`^${model.display_name} — needs a .+ key`));
    assert.equal(await option.evaluate((o) => o.disabled), true);
  }
  // The estimate follows the length chosen.
  await page.getByTestId("estimate").filter({ hasText: /^At most [\d.]+ credits? for 400 words/ }).waitFor();

  // Continuing needs a text: the page says what to do before sending anything.
  assert.equal(await page.getByLabel("Tool", { exact: true }).inputValue(), "continue");
  await page.getByTestId("generate").click();
  await page.getByRole("alert").filter({ hasText: "Select some text or write a few lines first" }).waitFor();

  await page.getByLabel("Text", { exact: true }).fill(PARAGRAPH);
  await page.getByTestId("acts-on").filter({ hasText: "the whole chapter (27 words)" }).waitFor();
  await page.getByTestId("generate").click();
  const output = page.getByTestId("output");
  await output.filter({ hasText: /\w+ \w+/ }).waitFor();
  // Still streaming: Generate says so (and keeps the focus) and Stop is offered.
  assert.equal(await page.getByTestId("generate").getAttribute("aria-disabled"), "true");
  await page.getByTestId("stop").waitFor();

  const result = page.getByTestId("result");
  await result.filter({ hasText: /^Done: \d+ words?, [\d.]+ credits?$/ }).waitFor();
  assert.equal(await page.getByTestId("model-label").textContent(), "Offline demo model");
  assert.equal(await page.getByTestId("stop").count(), 0);
  assert.equal(await page.getByTestId("generate").getAttribute("aria-disabled"), "false");
  const { words, credits } = spent(await result.textContent());
  assert.ok(words > 0 && credits > 0);
  await balanceAfter(page, credits);
  const text = (await output.textContent()).trim();
  assert.ok(text.split(/\s+/).length >= words - 1, `${words} words charged for "${text}"`);

  const row = page.getByTestId("history").getByTestId("generation");
  await row.filter({ hasText: "Continue" }).filter({ hasText: "Done" }).waitFor();
  assert.equal(await row.count(), 1);
  await screenshot(page, "write");

  await page.getByTestId("save-new").click();
  // The scratch page's own text is not saved: leaving asks first.
  let asked = "";
  page.once("dialog", (dialog) => { asked = dialog.message(); dialog.accept(); });
  await page.getByTestId("saved-to").getByRole("link", { name: "Open it" }).click();
  await page.waitForURL(/\/projects\/[0-9a-f-]{36}$/);
  assert.match(asked, /unsaved changes/);
  await page.getByTestId("project-facts").filter({ hasText: `${words} words` }).waitFor();
  assert.equal((await page.getByLabel("Text", { exact: true }).inputValue()).trim(), text);

  // Back on the page, the generation links to the project it was saved into.
  await page.getByRole("link", { name: "Write", exact: true }).click();
  await page.getByTestId("history").getByRole("link", { name: "Open saved project" }).waitFor();
});

test("stop a long piece midway: only the words delivered are charged", async () => {
  const page = await browser.newPage();
  await signUp(page, "writer", "Ana Writer");
  await openWrite(page);

  await page.getByLabel("Tool", { exact: true }).selectOption("write");
  await page.getByLabel("Length").selectOption("long");
  await page.getByLabel("Instructions").fill("A story about a lighthouse keeper who collects storms in jars.");
  await page.getByTestId("generate").click();
  await page.getByTestId("output").filter({ hasText: /\w+ \w+ \w+/ }).waitFor();
  await page.getByTestId("stop").click();

  const result = page.getByTestId("result").filter({ hasText: /^Stopped: / });
  await result.waitFor();
  const { words, credits } = spent(await result.textContent());
  assert.ok(words > 0 && words < 800, `${words} words charged of a long (800-word) piece`);
  await balanceAfter(page, credits);
  await page.getByRole("button", { name: "Generate", exact: true }).waitFor();
  await page.getByTestId("history").getByTestId("generation")
    .filter({ hasText: "Stopped" }).filter({ hasText: `${words} word` }).waitFor();
});
