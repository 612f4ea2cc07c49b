// Every page of the app, signed out, as a writer and as an admin, at desktop and phone
// width: no serious or critical accessibility violation (axe-core), nothing wider than the
// screen, and a screenshot of each for people to look at (test-results/pages/).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { BASE, launch, signUp } from "./helpers.mjs";

const DATA_DIR = process.env.PENORA_E2E_DATA_DIR ?? "../data";
const PENORA = process.env.PENORA_E2E_BIN
  ?? join(process.env.CARGO_TARGET_DIR ?? resolve("../target"), "debug/penora");
const WIDTHS = [
  ["desktop", { width: 1280, height: 900 }],
  ["phone", { width: 390, height: 844 }],
];

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Visits each of `pages` ([name, path, text to wait for]) at both widths and checks it. */
async function checkPages(page, pages) {
  const problems = [];
  mkdirSync("test-results/pages", { recursive: true });
  for (const [width, viewport] of WIDTHS) {
    await page.setViewportSize(viewport);
    for (const [name, path, ready] of pages) {
      await page.goto(BASE + path);
      await page.getByText(ready).first().waitFor();
      await page.waitForLoadState("networkidle");
      const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21aa"]).analyze();
      for (const v of results.violations.filter((v) => ["serious", "critical"].includes(v.impact))) {
        const where = v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ");
        problems.push(`${name} (${width}): ${v.id} — ${v.help} — ${where}`);
      }
      const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (wide > 1) problems.push(`${name} (${width}): ${wide}px wider than the screen`);
      await page.screenshot({ path: `test-results/pages/${name}-${width}.png`, fullPage: true });
    }
  }
  assert.deepEqual(problems, []);
}

test("signed-out pages are accessible and fit a phone", async () => {
  const page = await (await browser.newContext()).newPage();
  await checkPages(page, [
    ["home", "/", "Write with AI, in your own voice."],
    ["sign-in", "/sign-in", "Forgot your password?"],
    ["sign-up", "/sign-up", "Create your account"],
    ["forgot-password", "/forgot-password", "Mail me a link"],
    ["pricing", "/pricing", "Sign up to buy"],
    ["not-found", "/no/such/page", "There is no page here."],
  ]);
});

test("a writer's pages are accessible and fit a phone", async () => {
  const page = await (await browser.newContext()).newPage();
  await signUp(page, "pages", "Page Turner");
  const token = await page.evaluate(async () => {
    const r = await fetch("/api/v1/auth/refresh", { method: "POST" });
    return (await r.json()).access_token;
  });
  const made = await page.request.post(BASE + "/api/v1/projects", {
    headers: { authorization: `Bearer ${token}` },
    data: { title: "The Lighthouse", chapters: [{ title: "Storm", content: "The wind rose." }] },
  });
  assert.equal(made.status(), 201);
  const project = await made.json();
  await checkPages(page, [
    ["welcome", "/welcome", "Where to start"],
    ["write", "/write", "Generate"],
    ["projects", "/projects", "The Lighthouse"],
    ["project", `/projects/${project.id}`, "The Lighthouse"],
    ["new-story", "/stories/new", "Start a story"],
    ["account", "/account", "Your account"],
    ["history", "/account/history", "Credit history"],
    ["api-keys", "/account/api-keys", "No keys yet."],
    ["billing", "/billing", "Billing"],
    ["pricing-signed-in", "/pricing", "Credit packs"],
  ]);
});

test("an admin's pages are accessible and fit a phone", async () => {
  const page = await (await browser.newContext()).newPage();
  const email = await signUp(page, "pages-admin", "Ada Admin");
  const env = { ...process.env, PENORA_DATA_DIR: resolve(DATA_DIR) };
  delete env.DATABASE_URL;
  execFileSync(PENORA, ["admin", "grant-admin", "--email", email], { env, encoding: "utf8" });
  await checkPages(page, [
    ["admin-users", "/admin/users", "Users"],
    ["admin-audit", "/admin/audit", "Audit log"],
    ["admin-app-keys", "/admin/app-keys", "App keys"],
    ["admin-payments", "/admin/payments", "Payments"],
  ]);
});
