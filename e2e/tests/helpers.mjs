// Shared set-up for the browser tests: one Chromium per test file, a fresh context per test.
import { chromium } from "playwright-core";
import { readdirSync, readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

export const BASE = process.env.PENORA_E2E_URL ?? "http://127.0.0.1:8080";
const DATA_DIR = process.env.PENORA_E2E_DATA_DIR ?? "../data";

export async function launch() {
  return chromium.launch({
    executablePath: process.env.PENORA_E2E_CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

export function uniqueEmail(prefix) {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** The newest link the development outbox holds for `to`. */
export function mailedLink(to) {
  const dir = join(DATA_DIR, "outbox");
  const mails = readdirSync(dir).sort().map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")));
  const mail = mails.reverse().find((m) => m.to === to);
  if (!mail) throw new Error(`no mail to ${to}`);
  return mail.link;
}

export async function screenshot(page, name) {
  mkdirSync("test-results", { recursive: true });
  await page.screenshot({ path: `test-results/${name}.png`, fullPage: true });
}

/** Signs a new writer up (returns their email); they land on the welcome page with the 50
 * welcome credits. */
export async function signUp(page, prefix, name) {
  const email = uniqueEmail(prefix);
  await page.goto(BASE + "/sign-up");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Your name (optional)").fill(name);
  await page.getByLabel("Password").fill("correct horse 7");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL("**/welcome");
  await page.getByTestId("nav-balance").filter({ hasText: "50 credits" }).waitFor();
  return email;
}

/** The nav balance after spending `credits` of the 50 welcome credits, as the app prints it. */
export async function balanceAfter(page, credits) {
  const left = Math.round((50 - credits) * 1000) / 1000;
  await page.getByTestId("nav-balance").filter({ hasText: `${left} credits` }).waitFor();
  if (!(left < 50)) throw new Error(`nothing was spent (${credits} credits)`);
}
