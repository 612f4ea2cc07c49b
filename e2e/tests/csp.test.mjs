// The server's Content-Security-Policy lets the app and the API docs work: the main pages
// render, and the browser reports no violation on any of them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { launch, BASE, signUp } from "./helpers.mjs";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Collects the page's CSP violations: Chromium's console errors and the DOM's events. */
async function watchViolations(page) {
  const violations = [];
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) {
      violations.push(message.text());
    }
  });
  // Init scripts come from the browser, not the page, so the policy does not apply to them.
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(
        `Content Security Policy violation: ${event.violatedDirective} blocked ${event.blockedURI}`,
      );
    });
  });
  return violations;
}

async function settle(page) {
  await page.waitForLoadState("networkidle").catch(() => {});
}

test("the app's main pages run under the policy without violations", async () => {
  const page = await browser.newPage();
  const violations = await watchViolations(page);

  const home = await page.goto(BASE + "/");
  const policy = home.headers()["content-security-policy"] ?? "";
  assert.match(policy, /script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/=]+'/);
  assert.match(policy, /frame-ancestors 'none'/);
  assert.equal(home.headers()["x-content-type-options"], "nosniff");
  // The wasm app rendered, so its inline loader and module were allowed.
  await page.getByRole("link", { name: "Create your account" }).waitFor();
  await settle(page);

  await page.goto(BASE + "/sign-in");
  await page.getByLabel("Email").waitFor();
  await settle(page);

  await signUp(page, "csp", "Policy Reader");
  await settle(page);
  for (const path of ["/projects", "/write", "/stories/new"]) {
    await page.goto(BASE + path);
    // The signed-in navigation renders on every page: the app ran.
    await page.getByTestId("nav-balance").waitFor();
    await settle(page);
  }

  assert.deepEqual(violations, []);
});

test("the API docs run under their policy without violations", async () => {
  const page = await browser.newPage();
  const violations = await watchViolations(page);

  const docs = await page.goto(BASE + "/docs/");
  assert.match(docs.headers()["content-security-policy"] ?? "", /script-src 'self';/);
  await page.locator(".swagger-ui .info .title").filter({ hasText: "Penora API" }).waitFor();
  // Open an operation: its schemas and examples render too.
  await page.locator(".opblock-summary").first().click();
  await page.locator(".opblock-body").first().waitFor();
  await page.getByRole("button", { name: "Try it out" }).first().click().catch(() => {});
  await settle(page);

  assert.deepEqual(violations, []);
});
