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
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
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
  // Two panes: the result sits beside the inputs, not below them.
  const form = await page.locator("#form").boundingBox();
  const result = await page.locator("#result").boundingBox();
  if (!(result.x >= form.x + form.width))
    fail(`the result is not beside the inputs: form ${JSON.stringify(form)}, result ${JSON.stringify(result)}`);
  // Messages show their inline code as code.
  const codes = await page.locator(".finding h3 code").allTextContents();
  if (!codes.includes("127.0.0.1:6001")) fail("the message's inline code is not code: " + codes);
  const heads = (await page.locator(".finding h3").allTextContents()).join(" ");
  if (heads.includes("`")) fail("raw backticks in a finding: " + heads);
  // The upstream's row names the line its finding points into.
  const row = await page.textContent("td.where");
  if (row !== "default.conf:10" || !body.includes("default.conf:10:27"))
    fail("the upstream row and the finding disagree: " + row);
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
  if (focused !== "verdict") fail("focus should move to the verdict, is on " + focused);
  await page.screenshot({ path: shot, fullPage: true });

  // The same nginx and flask as one pod: passes; Ctrl+Enter validates.
  await page.selectOption("#example", "seed-kubernetes-one-pod");
  await page.click("#load-example");
  await page.focus("#topology-files textarea");
  await page.keyboard.press("Control+Enter");
  await page.waitForFunction(() => document.querySelector("#verdict")?.textContent.includes("PASS"));

  // The picture of the seed renders in the browser, with its red arrow.
  const drawn = await page.evaluate(async () => {
    const ex = (await (await fetch("/portal/examples.json")).json())["seed-compose-loopback"];
    const body = { files: ex.nginx, documents: ex.topology };
    const res = await fetch("/validate/svg", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const svg = await res.text();
    const img = new Image();
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
    await img.decode();
    return [res.headers.get("content-type"), img.naturalWidth, svg.includes("#c01c28")];
  });
  if (!(drawn[0].startsWith("image/svg+xml") && drawn[1] > 0 && drawn[2]))
    fail("the picture does not render: " + drawn);

  // The icon is served, as SVG.
  const icon = await page.evaluate(async () => (await fetch("/favicon.svg")).headers.get("content-type"));
  if (icon !== "image/svg+xml") fail("favicon content type: " + icon);

  // A phone: one column, nothing wider than the screen.
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  phone.on("pageerror", (e) => errors.push(String(e)));
  await phone.goto(base + "/");
  await phone.waitForSelector("body[data-ready='1']");
  await phone.selectOption("#example", "seed-compose-loopback");
  await phone.click("#load-example");
  await phone.click("#validate");
  await phone.waitForSelector("#verdict");
  const wide = await phone.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  if (wide[0] > wide[1]) fail(`the phone page scrolls sideways: ${wide[0]} > ${wide[1]}`);
  await phone.screenshot({ path: shot.replace(/\.png$/, "") + "-phone.png", fullPage: true });

  if (errors.length) fail("page errors: " + errors.join("; "));
  if (!process.exitCode) console.log("portal test: ok, screenshot at " + shot);
} finally {
  await browser.close();
}
