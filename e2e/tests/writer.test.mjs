// The three-column writer: write with the offline model and watch it stream, stop midway
// (Escape), select a sentence and rewrite it in place, autosave, share with the full link,
// export, reopen a past generation in full; and the guards: leaving with unsaved text asks,
// a missing project says so.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, BASE, screenshot, signUp } from "./helpers.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const FIRST = "The harbour lights came on one by one.";
const SECOND = "Old Tomas, who had counted them every night for forty years, noticed that the seventh lamp was burning a strange and restless green.";
const THIRD = "He put down his pipe.";

test("write, stop, rewrite a selection, autosave, share, export, reopen", async () => {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  const page = await context.newPage();
  await signUp(page, "columns", "Tomas Writer");

  await page.goto(BASE + "/write");
  await page.getByLabel("Model").locator("option", { hasText: "Offline demo model" }).waitFor({ state: "attached" });
  const editor = page.getByLabel("Text", { exact: true });
  await page.getByLabel("Title (for saving)").fill("Harbour Lights");
  await editor.fill(`${FIRST} ${SECOND} ${THIRD}`);
  await page.getByTestId("save-scratch").click();
  await page.waitForURL(/\/projects\/[0-9a-f-]{36}$/);
  const projectUrl = page.url();
  await page.getByTestId("project-facts").filter({ hasText: "36 words" }).waitFor();
  await page.getByTestId("recent-projects").getByRole("link", { name: "Harbour Lights" }).waitFor();

  // A long piece by shortcut, stopped by Escape once it streams; the focus stays on a control.
  await page.getByLabel("Tool", { exact: true }).selectOption("write");
  await page.getByLabel("Length").selectOption("long");
  await page.getByLabel("Instructions").fill("What Tomas saw in the green light.");
  await page.getByTestId("estimate").filter({ hasText: "for 800 words" }).waitFor();
  await page.keyboard.press("Control+Enter");
  const output = page.getByTestId("output");
  await output.filter({ hasText: /\w+ \w+ \w+ \w+/ }).waitFor();
  await page.getByTestId("stop").waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-testid="stop"]')?.disabled);
  await page.keyboard.press("Escape");
  await page.getByTestId("result").filter({ hasText: /^Stopped: \d+ words?/ }).waitFor();
  assert.notEqual(await page.evaluate(() => document.activeElement?.tagName), "BODY");
  const streamed = (await output.textContent()).trim();

  // Appended to the chapter, then saved by itself.
  await page.getByTestId("append").click();
  await page.getByTestId("save-status").filter({ hasText: /^Saved \(version \d+\)\.$/ }).waitFor();
  assert.ok((await editor.inputValue()).endsWith(streamed));

  // Select the second sentence, rewrite it shorter, and put the result in its place.
  const value = await editor.inputValue();
  const start = value.indexOf(SECOND);
  await editor.evaluate((el, [s, e]) => {
    el.focus();
    el.setSelectionRange(s, e);
    el.dispatchEvent(new Event("select"));
  }, [start, start + SECOND.length]);
  await page.getByLabel("Tool", { exact: true }).selectOption("rewrite");
  await page.getByTestId("acts-on").filter({ hasText: "the selection (23 words)" }).waitFor();
  await page.getByLabel("Style").selectOption("shorter");
  await page.getByTestId("generate").click();
  await page.getByTestId("result").filter({ hasText: /^Done: / }).waitFor();
  const rewritten = (await output.textContent()).trim();
  await page.getByTestId("replace").click();
  const after = await editor.inputValue();
  assert.ok(!after.includes(SECOND), "the sentence was replaced");
  assert.ok(after.startsWith(`${FIRST} ${rewritten}`), after);
  assert.ok(after.includes(THIRD));
  await page.getByTestId("save-status").filter({ hasText: /^Saved \(version \d+\)\.$/ }).waitFor();
  await screenshot(page, "writer-desktop");

  // Share from the editor: the full link, copied.
  await page.getByText("Share and export").click();
  await page.getByTestId("share").click();
  const link = page.getByTestId("share-link");
  await page.waitForFunction(() => document.querySelector('[data-testid="share-link"]')?.value);
  assert.match(await link.inputValue(), new RegExp(`^${BASE}/s/[2-9A-HJKMNP-Z]{6}$`));
  await page.getByRole("button", { name: "Copy link" }).click();
  await page.getByText("Link copied.").waitFor();
  const stranger = await (await browser.newContext()).newPage();
  await stranger.goto(await link.inputValue());
  await stranger.getByRole("heading", { name: "Harbour Lights" }).waitFor();
  await stranger.close();

  // Export from the editor.
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "TXT" }).click();
  assert.equal((await download).suggestedFilename(), "Harbour-Lights.txt");

  // The first generation opens in full and can be inserted again.
  const stopped = page.getByTestId("history").getByTestId("generation").filter({ hasText: "Stopped" });
  await stopped.getByRole("button", { name: "Open in full" }).click();
  await stopped.getByTestId("full-generation").filter({ hasText: streamed.slice(0, 40) }).waitFor();
  assert.equal((await stopped.getByTestId("full-generation").textContent()).trim(), streamed);

  // Unsaved text: an in-app link asks first; staying keeps the text.
  await editor.press("Control+End");
  await editor.pressSequentially(" Unsaved words.");
  let asked = "";
  page.once("dialog", (dialog) => { asked = dialog.message(); dialog.dismiss(); });
  await page.getByRole("link", { name: "Projects", exact: true }).click();
  assert.match(asked, /unsaved changes/);
  assert.equal(page.url(), projectUrl);
  assert.ok((await editor.inputValue()).endsWith("Unsaved words."));
  await page.getByTestId("save-status").filter({ hasText: /^Saved/ }).waitFor();

  // At phone width the columns stack, tools under the editor.
  await page.setViewportSize({ width: 390, height: 844 });
  const editorBox = await editor.boundingBox();
  const toolsBox = await page.getByLabel("Tool", { exact: true }).boundingBox();
  assert.ok(toolsBox.y > editorBox.y + editorBox.height, "tools under the editor");
  assert.ok(editorBox.width <= 390);
  await screenshot(page, "writer-phone");
});

test("a missing project says so", async () => {
  const page = await browser.newPage();
  await signUp(page, "missing", "Nobody");
  await page.goto(BASE + "/projects/0190e5b6-4c47-7cc3-9f5e-8d2d5f0b4a11");
  await page.getByTestId("not-found").getByRole("heading", { name: "Project not found" }).waitFor();
  assert.equal(await page.getByTestId("save").count(), 0);
});
