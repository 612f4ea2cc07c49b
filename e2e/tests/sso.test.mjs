// Arriving from the main site (SukuSuku): its page form-posts a signed token to Penora, the
// browser lands on the writer signed in with the welcome bonus, and the same token a second
// time is refused with the /sso page's "already used" explanation.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import { launch, BASE, uniqueEmail, screenshot } from "./helpers.mjs";

// The server of `cargo xtask e2e` trusts these; see xtask/src/e2e.rs.
const ISSUER = process.env.PENORA_E2E_SSO_ISSUER ?? "https://sukusuku.e2e.test";
const SECRET = process.env.PENORA_E2E_SSO_SECRET ?? "e2e-sso-secret-0123456789-abcdefghijklmnopqrstu";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const b64url = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A sign-in token as the main site mints it: HS256 over the documented claims. */
function ssoToken(sub, email) {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: ISSUER, aud: "penora", sub, email, email_verified: true, name: "Suku Writer",
    iat: now, nbf: now, exp: now + 300, jti: randomUUID(),
  };
  const signed = `${b64url({ alg: "HS256", typ: "JWT" })}.${b64url(claims)}`;
  const signature = createHmac("sha256", SECRET).update(signed).digest("base64url");
  return `${signed}.${signature}`;
}

/** The main site's hand-off: a page that form-posts the token to Penora. */
async function handOff(page, token) {
  await page.setContent(`
    <form method="post" action="${BASE}/api/v1/auth/sso">
      <input type="hidden" name="token" value="${token}">
      <input type="hidden" name="return_to" value="/write">
      <button type="submit">Open Penora</button>
    </form>`);
  await page.getByRole("button", { name: "Open Penora" }).click();
}

test("a hand-off from the main site lands on the writer signed in, once", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // A main-site id longer than any integer column, as the old app's overflowed.
  const sub = String(Date.now()) + "1234567890123456789012345";
  const token = ssoToken(sub, uniqueEmail("suku"));

  await handOff(page, token);
  await page.waitForURL(BASE + "/write");
  // Only the refresh cookie came along: the app's start-up refresh signs it in.
  await page.getByTestId("nav-balance").filter({ hasText: "50 credits" }).waitFor();
  await page.getByRole("link", { name: "Suku Writer" }).waitFor();
  await screenshot(page, "sso-write");

  // The account page lists the main site as the only way in, and offers a password.
  await page.getByRole("link", { name: "Suku Writer" }).click();
  await page.waitForURL("**/account");
  const method = page.getByTestId("sign-in-method-sukusuku");
  await method.waitFor();
  assert.equal(await method.getByRole("button", { name: "Unlink" }).isDisabled(), true);
  await page.getByTestId("set-password").waitFor();
  await page.getByTestId("sign-in-method-password").waitFor({ state: "detached" });
  await screenshot(page, "sso-account");

  // The same token again is refused, and the app says why in words.
  await handOff(page, token);
  await page.waitForURL(BASE + "/sso?error=token_replayed");
  await page.getByTestId("sso-error").getByText("already used").waitFor();
  // Still signed in from the first hand-off: the page leads back to the writer.
  await page.getByRole("link", { name: "Go on writing" }).waitFor();
  await page.getByRole("link", { name: "Go home" }).waitFor();
  await screenshot(page, "sso-replayed");
  await context.close();
});

test("an SSO-only account sets a first password within its recent sign-in", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const email = uniqueEmail("first");
  await handOff(page, ssoToken("77" + Date.now(), email));
  await page.waitForURL(BASE + "/write");
  await page.getByTestId("nav-balance").filter({ hasText: "50 credits" }).waitFor();

  await page.goto(BASE + "/account");
  await page.getByTestId("set-password").waitFor();
  await page.getByLabel("New password").fill("first horse 9 ok");
  await page.getByRole("button", { name: "Set password" }).click();
  await page.getByTestId("sign-in-method-password").waitFor();
  // With a password the identity may go: the button is enabled now.
  const unlink = page.getByTestId("sign-in-method-sukusuku").getByRole("button", { name: "Unlink" });
  await unlink.click();
  await page.getByTestId("sign-in-method-sukusuku").waitFor({ state: "detached" });
  await page.getByRole("status").filter({ hasText: "no longer linked" }).waitFor();
  await context.close();
});

test("an unknown refusal code and no code at all still lead somewhere", async () => {
  const page = await browser.newPage();
  await page.goto(BASE + "/sso?error=something_new");
  await page.getByText("Signing in did not work").waitFor();
  await page.getByTestId("sso-error").getByRole("link", { name: "Sign in" }).waitFor();
  await page.goto(BASE + "/sso");
  await page.getByTestId("sso-landing").getByRole("link", { name: "Go home" }).waitFor();
  await page.close();
});
