// A writer starts a story from the Projects page, has the offline model outline it, renames a
// chapter by editing the outline, and watches all chapters being written one after another;
// then stops a second story midway through chapter 2, and writes and continues chapters on
// their own. Stories open from the Projects page; hand-made "stories" still open the editor.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, BASE, screenshot, signUp, balanceAfter } from "./helpers.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const STORY_URL = /\/stories\/[0-9a-f-]{36}$/;

/** Fills the new-story form (the page is open) and creates the story. */
async function createStory(page, { title, premise, chapters, words }) {
  // Not `exact`: a label's name also holds the error shown under its field.
  await page.getByLabel("Title").fill(title);
  if (premise) await page.getByLabel("Premise (optional)").fill(premise);
  await page.getByLabel("Chapters").fill(String(chapters));
  await page.getByLabel("Words per chapter").fill(String(words));
  // The catalog has loaded once the default model is chosen.
  await page.getByLabel("Model").locator("option", { hasText: "Offline demo model" }).waitFor({ state: "attached" });
  assert.equal(await page.getByLabel("Model").inputValue(), "offline-demo");
  await page.getByRole("button", { name: "Create story" }).click();
  await page.waitForURL(STORY_URL);
  await page.getByRole("heading", { name: title }).waitFor();
}

/** The credits at the end of a result line: "Done: 52 words, 0.52 credits" -> 0.52. */
function credits(result) {
  const match = result.match(/([\d.]+) credits?\)?$/);
  assert.ok(match, `no credits in "${result}"`);
  return Number(match[1]);
}

/** The words a chapter block counts. */
async function chapterWords(page, n) {
  return Number((await page.getByTestId(`chapter-${n}-words`).textContent()).match(/^(\d+) words?$/)[1]);
}

test("outline a story, rename a chapter in the outline, write all chapters live", async () => {
  const page = await browser.newPage();
  await signUp(page, "storyteller", "Tess Teller");

  await page.getByRole("link", { name: "Projects", exact: true }).click();
  await page.getByTestId("new-story").click();
  await page.waitForURL("**/stories/new");
  // Out-of-range settings are explained under their fields.
  await page.getByLabel("Title").fill("Too long");
  await page.getByLabel("Chapters").fill("51");
  await page.getByRole("button", { name: "Create story" }).click();
  await page.locator('[data-field="chapter_count"]').filter({ hasText: /\w/ }).waitFor();
  await createStory(page, {
    title: "The Storm Jars",
    premise: "A lighthouse keeper collects storms in jars, until one of them escapes.",
    chapters: 3,
    words: 150,
  });
  for (const n of [1, 2, 3]) {
    assert.equal(await page.getByTestId(`chapter-${n}`).getByRole("heading").textContent(), `Chapter ${n}`);
    await page.getByTestId(`chapter-${n}`).getByText("Not written yet.").waitFor();
  }

  // The outline streams into its panel, is saved, and names the chapters.
  await page.getByTestId("generate-outline").click();
  await page.getByTestId("progress").filter({ hasText: "Writing the outline…" }).waitFor();
  assert.equal(await page.getByTestId("write-all").isDisabled(), true);
  const outlineResult = page.getByTestId("result").filter({ hasText: /^Done: \d+ words, [\d.]+ credits?$/ });
  await outlineResult.waitFor();
  const outlineCost = credits(await outlineResult.textContent());
  // The saved outline is read back into the text box once the run has ended.
  await page.waitForFunction(() => document.querySelector('[data-testid="story-outline"]')?.value.includes("Chapter 3: "));
  const outline = await page.getByTestId("story-outline").inputValue();
  const lines = outline.split("\n").filter((line) => /^Chapter \d+: /.test(line));
  assert.equal(lines.length, 3, outline);
  const titles = lines.map((line) => line.match(/^Chapter \d+: (.+?) — /)[1]);
  for (const [i, title] of titles.entries()) {
    await page.getByTestId(`chapter-${i + 1}`).getByRole("heading", { name: `Chapter ${i + 1}: ${title}` }).waitFor();
  }

  // Renamed by hand in the outline.
  const edited = outline.replace(`Chapter 1: ${titles[0]} —`, "Chapter 1: The First Jar —");
  await page.getByTestId("story-outline").fill(edited);
  await page.getByTestId("save-outline").click();
  await page.getByText("Outline saved; the chapters are named after it.").waitFor();
  await page.getByTestId("chapter-1").getByRole("heading", { name: "Chapter 1: The First Jar" }).waitFor();
  titles[0] = "The First Jar";
  await balanceAfter(page, outlineCost);

  // All chapters in a row, each announced as it starts, its text arriving live.
  await page.getByTestId("write-all").click();
  const progress = page.getByTestId("progress");
  await progress.filter({ hasText: `Chapter 1 of 3: ${titles[0]}…` }).waitFor();
  await progress.getByTestId("output").filter({ hasText: /\w+ \w+ \w+/ }).waitFor();
  await progress.getByTestId("spent").filter({ hasText: /^Spent so far: [\d.]+ credits?$/ }).waitFor();
  assert.equal(await page.getByTestId("generate-outline").isDisabled(), true);
  for (const [i, title] of titles.entries()) {
    await progress.filter({ hasText: `Chapter ${i + 1} of 3: ${title}…` }).waitFor();
  }
  const result = page.getByTestId("result").filter({ hasText: /^Complete: 3 chapters written \(1, 2, 3\), [\d.]+ credits$/ });
  await result.waitFor();
  const storyCost = credits(await result.textContent());
  assert.equal(await page.getByTestId("stop").count(), 0);
  assert.equal(await page.getByTestId("write-all").isEnabled(), true);
  for (const n of [1, 2, 3]) {
    await page.getByTestId(`chapter-${n}-text`).filter({ hasText: /\w+ \w+ \w+/ }).waitFor();
    const words = await chapterWords(page, n);
    assert.ok(words > 50 && words <= 150, `chapter ${n} has ${words} words`);
  }
  await balanceAfter(page, outlineCost + storyCost);
  await screenshot(page, "story");

  // On the Projects page the story opens here again, not in the editor.
  await page.getByRole("link", { name: "Projects", exact: true }).click();
  await page.getByTestId("project").getByRole("link", { name: "The Storm Jars" }).click();
  await page.waitForURL(STORY_URL);
  await page.getByTestId("chapter-1").getByRole("heading", { name: "Chapter 1: The First Jar" }).waitFor();

  // A "story" made by hand on the Projects page has no story settings: it opens in the editor.
  await page.getByRole("link", { name: "Projects", exact: true }).click();
  await page.getByLabel("New project title").fill("Hand-written Tales");
  await page.getByLabel("Kind").selectOption("story");
  await page.getByRole("button", { name: "New project" }).click();
  await page.waitForURL(/\/projects\/[0-9a-f-]{36}$/);
  const editor = page.url();
  await page.getByRole("link", { name: "All projects" }).click();
  await page.getByTestId("project").getByRole("link", { name: "Hand-written Tales" }).click();
  await page.waitForURL(editor);
  await page.getByTestId("project-facts").filter({ hasText: "story" }).waitFor();
});

test("stop writing all chapters during chapter 2; write and continue chapters on their own", async () => {
  const page = await browser.newPage();
  await signUp(page, "storyteller", "Tess Teller");
  await page.goto(BASE + "/stories/new");
  await createStory(page, { title: "The Salt Road", chapters: 3, words: 300 });

  await page.getByTestId("write-all").click();
  const progress = page.getByTestId("progress");
  await progress.filter({ hasText: "Chapter 2 of 3…" }).waitFor();
  await progress.getByTestId("output").filter({ hasText: /\w+ \w+ \w+/ }).waitFor();
  await page.getByTestId("stop").click();

  await page.getByTestId("result").filter({ hasText: /^Stopped: 2 chapters written \(1, 2\), [\d.]+ credits$/ }).waitFor();
  await page.getByTestId("chapter-1-text").filter({ hasText: /\w+ \w+ \w+/ }).waitFor();
  // Chapter 2 keeps what was written before the stop; chapter 3 was never started.
  const stoppedAt = await chapterWords(page, 2);
  assert.ok(stoppedAt < 300, `chapter 2 has ${stoppedAt} words after the stop`);
  await page.getByTestId("chapter-3").getByText("Not written yet.").waitFor();
  assert.equal(await page.getByTestId("chapter-3-text").count(), 0);

  // Chapter 3 on its own, live in its block.
  await page.getByTestId("chapter-3-write").click();
  const chapter3 = page.getByTestId("chapter-3");
  await chapter3.getByTestId("progress").filter({ hasText: "Writing chapter 3…" }).waitFor();
  await chapter3.getByTestId("result").filter({ hasText: /^Done: \d+ words/ }).waitFor();
  await page.getByTestId("chapter-3-text").filter({ hasText: /\w+ \w+ \w+/ }).waitFor();

  // Continuing chapter 2 adds to its text.
  await page.getByTestId("chapter-2-continue").click();
  await page.getByTestId("chapter-2").getByTestId("result").filter({ hasText: /^Done: \d+ words/ }).waitFor();
  await page.waitForFunction(
    (before) => parseInt(document.querySelector('[data-testid="chapter-2-words"]').textContent, 10) > before,
    stoppedAt,
  );
});
