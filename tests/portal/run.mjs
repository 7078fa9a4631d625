// Loads the portal, runs the seed example in both worlds, checks the verdicts
// and the fix, and saves a screenshot. Usage: node run.mjs BASE_URL SCREENSHOT
import { chromium } from "playwright-core";

const [base, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const fail = (msg) => { console.error("portal test: " + msg); process.exitCode = 1; };
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(base + "/");
  await page.waitForSelector("body[data-ready='1']");

  // Keyboard only: pick the compose seed and load it.
  await page.focus("#example");
  await page.selectOption("#example", "seed-compose-loopback");
  await page.focus("#load-example");
  await page.keyboard.press("Enter");
  await page.focus("#validate");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#verdict");
  const verdict = await page.textContent("#verdict");
  if (!verdict.includes("FAIL")) fail("compose seed should fail, got: " + verdict);
  const body = await page.textContent("#result");
  if (!body.includes("UC2001")) fail("missing UC2001 finding");
  if (!body.includes("model_test")) fail("missing the fix to model_test");
  const diff = await page.textContent("pre.diff");
  if (!diff.includes("+") || !diff.includes("model_test:6001")) fail("fix diff not shown: " + diff);
  // The upstream's row names the line its finding points into.
  const row = await page.textContent("td.where");
  if (row !== "default.conf:10" || !body.includes("default.conf:10:27"))
    fail("the upstream row and the finding disagree: " + row);
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
  if (focused !== "verdict") fail("focus should move to the verdict, is on " + focused);
  await page.screenshot({ path: shot, fullPage: true });

  // The same nginx and flask as one pod: passes.
  await page.selectOption("#example", "seed-kubernetes-one-pod");
  await page.click("#load-example");
  await page.click("#validate");
  await page.waitForFunction(() => document.querySelector("#verdict")?.textContent.includes("PASS"));

  if (errors.length) fail("page errors: " + errors.join("; "));
  if (!process.exitCode) console.log("portal test: ok, screenshot at " + shot);
} finally {
  await browser.close();
}
