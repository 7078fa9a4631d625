// Drives the portal in Debian's headless Chromium against a real
// `upcheck serve`: the code editor loads (line numbers, underlines at the
// findings), the seed example fails then passes once its fix is applied in
// the editor, the picture appears, axe-core finds no serious or critical
// violation, a folder and an archive get the verdict `upcheck validate DIR`
// gives, "Validate and share" gives a link that opens the stored report
// with its files and picture, the page still works without the editor
// module, and screenshots
// at desktop and phone widths.
// Usage: UPCHECK_BIN=path/to/upcheck node run.mjs BASE_URL SCREENSHOT
import { chromium } from "playwright-core";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const [base, shot] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");
const upcheck = process.env.UPCHECK_BIN || join(root, "target/debug/upcheck");
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const fail = (msg) => { console.error("portal test: " + msg); process.exitCode = 1; };
const errors = [];
// Page errors, and console errors (a refused style or script under the
// portal's Content-Security-Policy shows there).
const watch = (page) => {
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push("console: " + m.text()); });
};
const verdictText = (page) => page.textContent("#verdict");
// Waits for a new verdict after `act` (the verdict heading is replaced).
async function nextVerdict(page, act) {
  await page.evaluate(() => document.querySelector("#verdict")?.setAttribute("data-old", "1"));
  await act();
  await page.waitForSelector("#verdict:not([data-old])");
  return verdictText(page);
}
const tmp = mkdtempSync(join(tmpdir(), "upcheck-portal-"));

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  watch(page);
  await page.goto(base + "/");
  await page.waitForSelector("body[data-ready='1']");

  // The editor bundle loaded: an editor over each file, with line numbers.
  const editor = await page.evaluate(() => document.body.dataset.editor);
  if (editor !== "codemirror") fail("the code editor did not load: " + editor);
  if ((await page.locator("#nginx-files .cm-editor").count()) !== 1) fail("no editor over the nginx file");
  if ((await page.locator("#nginx-files textarea.content").isVisible())) fail("the textarea shows beside the editor");

  // Keyboard only: pick the compose seed and load it.
  await page.focus("#example");
  await page.selectOption("#example", "seed-compose-loopback");
  await page.focus("#load-example");
  await page.keyboard.press("Enter");
  const lines = await page.locator("#nginx-files .cm-lineNumbers .cm-gutterElement").allTextContents();
  if (!lines.includes("10")) fail("no line numbers in the nginx editor: " + lines);
  await page.focus("#validate");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#verdict");
  const verdict = await verdictText(page);
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

  // The finding is underlined in the editor, at its span: the host.
  const underlined = await page.locator("#nginx-files .cm-lintRange-error").allTextContents();
  if (underlined.join("") !== "127.0.0.1") fail("the finding is not underlined at 127.0.0.1: " + JSON.stringify(underlined));

  // The picture of the same request, as an image with a text alternative.
  await page.waitForFunction(() => document.querySelector("#picture-img")?.complete);
  const pic = await page.evaluate(() => {
    const img = document.querySelector("#picture-img");
    return { w: img.naturalWidth, shown: img.getBoundingClientRect().width, alt: img.alt,
             pane: document.querySelector("#result").clientWidth, src: img.src.slice(0, 5) };
  });
  if (!(pic.w > 0 && pic.src === "blob:")) fail("the picture did not load: " + JSON.stringify(pic));
  if (!(pic.shown <= pic.pane)) fail("the picture is wider than its pane: " + JSON.stringify(pic));
  if (!pic.alt.includes("1 unreachable")) fail("the picture's text alternative: " + pic.alt);

  // axe-core on the page with a result: no serious or critical violation.
  await page.evaluate(readFileSync(join(here, "node_modules/axe-core/axe.min.js"), "utf8"));
  const axe = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + ": " + n.failureSummary) }));
  });
  for (const v of axe) console.log(`axe: ${v.impact} ${v.id}: ${v.help}\n  ${v.nodes.join("\n  ")}`);
  const serious = axe.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (serious.length) fail("axe-core: serious or critical violations: " + serious.map((v) => v.id).join(", "));
  await page.screenshot({ path: shot, fullPage: true });

  // Apply the fix in place: the editor now says model_test:6001, and the
  // service, asked again, no longer fails.
  const afterFix = await nextVerdict(page, () => page.click(".finding button.apply"));
  const fixed = await page.inputValue("#nginx-files textarea.content");
  if (!fixed.includes("proxy_pass http://model_test:6001;")) fail("the fix was not applied to the editor: " + fixed);
  const shown = await page.locator("#nginx-files .cm-content").textContent();
  if (!shown.includes("model_test:6001")) fail("the editor does not show the fix: " + shown);
  if (!afterFix.includes("PASS")) fail("after the fix the seed should pass, got: " + afterFix);
  if ((await page.locator(".cm-lintRange-error").count()) !== 0) fail("underlines left after the fix");

  // The same nginx and flask as one pod: passes; Ctrl+Enter validates from
  // inside the editor, without adding a line to it.
  await page.selectOption("#example", "seed-kubernetes-one-pod");
  await page.click("#load-example");
  const before = await page.inputValue("#topology-files textarea.content");
  await page.click("#topology-files .cm-content");
  const pod = await nextVerdict(page, () => page.keyboard.press("Control+Enter"));
  if (!pod.includes("PASS")) fail("one pod should pass, got: " + pod);
  if ((await page.inputValue("#topology-files textarea.content")) !== before) fail("Ctrl+Enter changed the editor's text");

  // Report offsets are UTF-8 bytes: with accents and an emoji before the
  // span, the underline and the fix still land on `127.0.0.1`.
  await page.selectOption("#example", "seed-compose-loopback");
  await page.click("#load-example");
  const original = await page.inputValue("#nginx-files textarea.content");
  const prefix = "# café — ✓ 🚀\n";
  await page.click("#nginx-files .cm-content");
  await page.keyboard.press("Control+Home");
  await page.keyboard.insertText(prefix);
  await nextVerdict(page, () => page.click("#validate"));
  const wide8 = await page.locator("#nginx-files .cm-lintRange-error").allTextContents();
  if (wide8.join("") !== "127.0.0.1") fail("after non-ASCII text the underline is at " + JSON.stringify(wide8));
  await nextVerdict(page, () => page.click(".finding button.apply"));
  const want = prefix + original.replace("http://127.0.0.1:6001", "http://model_test:6001");
  const got = await page.inputValue("#nginx-files textarea.content");
  if (got !== want) fail("after non-ASCII text the fix landed wrong:\n" + got);
  // Two edits in one file, applied from the last backwards, at byte offsets.
  const bytes = (s) => Buffer.byteLength(s, "utf8");
  const rocket = bytes("# café — ✓ ");
  const host = bytes(want.slice(0, want.indexOf("model_test")));
  const twice = await page.evaluate(async ([rocket, host]) => {
    const m = await import("/portal/editors.js");
    m.applyFix({ edits: [
      { file: "default.conf", start: rocket, end: rocket + 4, replacement: "rocket" },
      { file: "default.conf", start: host, end: host + "model_test".length, replacement: "model-x" },
    ] });
    return [document.querySelector("#nginx-files textarea.content").value,
            [0, 1, 3, 7, 8].map((b) => m.byteToIndex("aé🚀b", b))];
  }, [rocket, host]);
  if (twice[0] !== want.replace("🚀", "rocket").replace("model_test", "model-x")) fail("two edits applied wrong:\n" + twice[0]);
  if (twice[1].join() !== "0,1,2,4,5") fail("byte offsets to string indices: " + twice[1]);

  // A folder, through the directory input: the verdict of `upcheck validate DIR`.
  const dir = join(tmp, "seed-compose");
  cpSync(join(root, "examples/seed-compose"), dir, { recursive: true });
  mkdirSync(join(dir, ".git"));
  writeFileSync(join(dir, ".git/HEAD"), "ref: refs/heads/main\n");
  const cli = spawnSync(upcheck, ["validate", dir, "-o", "json"], { encoding: "utf8" });
  const expected = JSON.parse(cli.stdout);
  const codesOf = (r) => r.findings.map((f) => `${f.code} ${f.location.file}:${f.location.line}`).sort().join(", ");
  await page.selectOption("#example", "seed-compose-fixed");
  await page.click("#load-example");
  const folder = await nextVerdict(page, () => page.setInputFiles("#upload-folder", dir));
  const word = { pass: "PASS", warn: "WARN", fail: "FAIL" }[expected.verdict];
  if (!folder.includes(word)) fail(`the folder gives ${folder}, upcheck validate DIR says ${expected.verdict}`);
  const sent = await page.textContent("details.sent");
  if (!sent.includes("seed-compose/default.conf") || sent.includes(".git")) fail("the files sent: " + sent);
  const status = await page.textContent("#project-status");
  if (!status.includes("left out: seed-compose/.git") && !status.includes("left out: .git")) fail("status does not say .git was left out: " + status);
  const portalCodes = (await page.locator(".finding h3 a").allTextContents()).sort().join(", ");
  const cliCodes = expected.findings.map((f) => f.code).sort().join(", ");
  if (portalCodes !== cliCodes) fail(`the folder's findings ${portalCodes} differ from the CLI's ${cliCodes} (${codesOf(expected)})`);
  if ((await page.locator(".finding button.apply").count()) !== 0) fail("Apply fix offered for files not in the editors");

  // An archive of the same folder, through the archive input.
  const tgz = join(tmp, "seed-compose.tar.gz");
  execFileSync("tar", ["czf", tgz, "--exclude=.git", "-C", tmp, "seed-compose"]);
  const archived = await nextVerdict(page, () => page.setInputFiles("#upload-archive", tgz));
  if (!archived.includes(word)) fail(`the archive gives ${archived}, upcheck validate DIR says ${expected.verdict}`);
  const archiveCodes = (await page.locator(".finding h3 a").allTextContents()).sort().join(", ");
  if (archiveCodes !== cliCodes) fail(`the archive's findings ${archiveCodes} differ from the CLI's ${cliCodes}`);
  await page.waitForFunction(() => document.querySelector("#picture-img")?.complete);
  if (!(await page.evaluate(() => document.querySelector("#picture-img").naturalWidth > 0))) fail("no picture for the archive");

  // The same archive dropped on the page (a DataTransfer made in the page:
  // a test cannot drag a real folder, so walking one is left to the
  // directory input above).
  const dropped = await nextVerdict(page, () => page.evaluate((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], "seed-compose.tar.gz", { type: "application/gzip" }));
    document.querySelector("#drop-zone").dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, readFileSync(tgz).toString("base64")));
  if (!dropped.includes(word)) fail(`the dropped archive gives ${dropped}, upcheck validate DIR says ${expected.verdict}`);
  if (!(await page.textContent("#project-status")).includes("the archive seed-compose.tar.gz")) fail("the drop is not shown as the project");
  await page.click("#clear-project");

  // Past the bound, a folder is refused with a message saying what to do.
  const big = join(tmp, "big");
  mkdirSync(big);
  for (let i = 0; i <= 1000; i++) writeFileSync(join(big, `f${i}.conf`), "");
  await page.setInputFiles("#upload-folder", big);
  await page.waitForSelector("#project-status [role=alert]");
  const refusal = await page.textContent("#project-status");
  if (!refusal.includes("more than 1000 files")) fail("a folder past the bound: " + refusal);

  // The icon is served, as SVG.
  const icon = await page.evaluate(async () => (await fetch("/favicon.svg")).headers.get("content-type"));
  if (icon !== "image/svg+xml") fail("favicon content type: " + icon);

  // Validate and share: the link opens the stored report, its files in the
  // editors, its finding underlined, its picture shown.
  await page.selectOption("#example", "seed-compose-loopback");
  await page.click("#load-example");
  const shared = await nextVerdict(page, () => page.click("#share"));
  if (!shared.includes("FAIL")) fail("the shared seed should fail, got: " + shared);
  const link = await page.inputValue("#share-url");
  if (!/^http:\/\/127\.0\.0\.1:\d+\/reports\/[0-9a-f]{32}$/.test(link)) fail("the share link: " + link);
  const opened = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  watch(opened);
  await opened.goto(link);
  await opened.waitForSelector("body[data-ready='1']");
  await opened.waitForSelector("#verdict");
  if (!(await verdictText(opened)).includes("FAIL")) fail("the stored report's verdict: " + (await verdictText(opened)));
  if (!(await opened.inputValue("#nginx-files textarea.content")).includes("127.0.0.1:6001")) fail("the stored request is not in the editor");
  const storedMarks = await opened.locator("#nginx-files .cm-lintRange-error").allTextContents();
  if (storedMarks.join("") !== "127.0.0.1") fail("the stored report's finding is not underlined: " + JSON.stringify(storedMarks));
  await opened.waitForFunction(() => document.querySelector("#picture-img")?.complete);
  if (!(await opened.evaluate(() => document.querySelector("#picture-img").naturalWidth > 0))) fail("no picture for the stored report");
  // Its fix applies in place there too, and validates again.
  const storedFix = await nextVerdict(opened, () => opened.click(".finding button.apply"));
  if (!storedFix.includes("PASS")) fail("the stored report's fix: " + storedFix);
  await opened.close();

  // A phone: one column, nothing wider than the screen.
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  watch(phone);
  await phone.goto(base + "/");
  await phone.waitForSelector("body[data-ready='1']");
  await phone.selectOption("#example", "seed-compose-loopback");
  await phone.click("#load-example");
  await phone.click("#validate");
  await phone.waitForSelector("#verdict");
  await phone.waitForFunction(() => document.querySelector("#picture-img")?.complete);
  const wide = await phone.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  if (wide[0] > wide[1]) fail(`the phone page scrolls sideways: ${wide[0]} > ${wide[1]}`);
  await phone.screenshot({ path: shot.replace(/\.png$/, "") + "-phone.png", fullPage: true });

  // Without the editor module the text areas stay, and a fix still applies.
  const plain = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  plain.on("pageerror", (e) => errors.push(String(e)));
  await plain.route("**/portal/vendor/codemirror.js", (r) => r.abort());
  await plain.goto(base + "/");
  await plain.waitForSelector("body[data-ready='1']");
  if ((await plain.evaluate(() => document.body.dataset.editor)) !== "textarea") fail("the fallback is not the text areas");
  await plain.selectOption("#example", "seed-compose-loopback");
  await plain.click("#load-example");
  await plain.focus("#nginx-files textarea.content");
  await plain.keyboard.press("Control+Enter");
  await plain.waitForSelector("#verdict");
  if (!(await verdictText(plain)).includes("FAIL")) fail("without the editor the seed should fail");
  const plainFix = await nextVerdict(plain, () => plain.click(".finding button.apply"));
  if (!plainFix.includes("PASS") || !(await plain.inputValue("#nginx-files textarea.content")).includes("model_test:6001"))
    fail("without the editor the fix did not apply: " + plainFix);

  if (errors.length) fail("page errors: " + errors.join("; "));
  console.log(`portal test: compose seed "${verdict}", after Apply fix "${afterFix}"; ` +
    `folder "${folder}", archive "${archived}", upcheck validate DIR: ${expected.verdict} (${cliCodes}); ` +
    `axe-core violations: ${axe.length}`);
  if (!process.exitCode) console.log("portal test: ok, screenshot at " + shot);
} finally {
  await browser.close();
  rmSync(tmp, { recursive: true, force: true });
}
