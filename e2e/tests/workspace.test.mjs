// A writer creates a project, edits and saves it, meets a conflicting edit, shares it, a
// stranger reads it by code, and the writer downloads an export.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, BASE, screenshot, signUp } from "./helpers.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("create, edit, save, conflict, share, read by code, export", async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await signUp(page, "author", "Mira Author");

  await page.getByRole("link", { name: "Projects" }).click();
  await page.waitForURL("**/projects");
  await page.getByTestId("storage").filter({ hasText: "0 B of 1.0 MB used" }).waitFor();
  await page.getByLabel("New project title").fill("The Lantern Keeper");
  await page.getByRole("button", { name: "New project" }).click();
  await page.waitForURL(/\/projects\/[0-9a-f-]{36}$/);
  const projectUrl = page.url();

  const text = page.getByLabel("Text", { exact: true });
  await text.fill("The lanterns went out one by one.\n\nMira counted them in the dark.");
  await page.getByTestId("save").click();
  await page.getByTestId("save-status").filter({ hasText: "Saved (version 2)" }).waitFor();
  await page.getByTestId("project-facts").filter({ hasText: "13 words" }).waitFor();

  // The same project edited in a second tab: the first tab's stale save is refused.
  const other = await context.newPage();
  await other.goto(projectUrl);
  await other.getByLabel("Text", { exact: true }).fill("Rewritten elsewhere.");
  await other.getByTestId("save").click();
  await other.getByTestId("save-status").filter({ hasText: "Saved (version 3)" }).waitFor();
  await page.getByLabel("Title", { exact: true }).fill("The Lantern Keeper, revised");
  await page.getByTestId("save").click();
  await page.getByTestId("save-status").filter({ hasText: "changed elsewhere" }).waitFor();
  // Both versions are shown; taking theirs asks first, since it drops this tab's edit.
  const conflict = page.getByTestId("conflict");
  await conflict.waitFor();
  assert.equal(await conflict.getByLabel("Saved elsewhere").inputValue(), "Rewritten elsewhere.");
  page.once("dialog", (dialog) => dialog.accept());
  await conflict.getByRole("button", { name: "Use theirs" }).click();
  await page.getByTestId("project-facts").filter({ hasText: "version 3" }).waitFor();
  assert.equal(await text.inputValue(), "Rewritten elsewhere.");
  assert.equal(await page.getByTestId("conflict").count(), 0);

  await page.getByRole("link", { name: "All projects" }).click();
  const row = page.getByTestId("project").filter({ hasText: "The Lantern Keeper" });
  await row.getByRole("button", { name: "Share" }).click();
  const code = (await row.getByTestId("share-code").textContent()).trim();
  assert.match(code, /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/);
  await screenshot(page, "workspace");

  const download = page.waitForEvent("download");
  await row.getByRole("button", { name: "TXT" }).click();
  const file = await download;
  assert.equal(file.suggestedFilename(), "The-Lantern-Keeper.txt");

  // A stranger, not signed in, reads it by code (typed in lower case).
  const stranger = await (await browser.newContext()).newPage();
  await stranger.goto(BASE + "/");
  await stranger.getByLabel("Share code").fill(code.toLowerCase());
  await stranger.getByRole("button", { name: "Open shared project" }).click();
  await stranger.getByRole("heading", { name: "The Lantern Keeper" }).waitFor();
  await stranger.getByText("by Mira Author").waitFor();
  await stranger.getByText("Rewritten elsewhere.").waitFor();
  await screenshot(stranger, "shared");

  // Revoked: the code stops working.
  await row.getByRole("button", { name: "Stop sharing" }).click();
  await row.getByRole("button", { name: "Share" }).waitFor();
  await stranger.reload();
  await stranger.getByRole("alert").filter({ hasText: "Nothing is shared under this code" }).waitFor();
});
