// Bundles entry.js into ../vendor/codemirror.js: one minified ES module,
// headed by the name, version and licence of every package inside it (all
// MIT), taken from the installed packages. Same lockfile, same bytes.
import { build } from "esbuild";
import { readFileSync, writeFileSync } from "node:fs";

const out = new URL("../vendor/codemirror.js", import.meta.url);
const result = await build({
  entryPoints: [new URL("entry.js", import.meta.url).pathname],
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  legalComments: "none",
  metafile: true,
  write: false,
  logLevel: "warning",
});

// The packages whose code is in the bundle, from esbuild's inputs.
const names = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (m) names.add(m[1]);
}
const packages = [...names].sort().map((name) => {
  const pkg = JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, import.meta.url)));
  if (pkg.license !== "MIT") throw new Error(`${name} is ${pkg.license}, not MIT: say so in the header`);
  const text = readFileSync(new URL(`node_modules/${name}/LICENSE`, import.meta.url), "utf8");
  const copyright = text.split("\n").find((l) => /^Copyright/i.test(l)).trim();
  return `${name}@${pkg.version}: ${copyright}`;
});
// The MIT licence's terms, without its copyright line (listed above).
const license = readFileSync(new URL("node_modules/@codemirror/view/LICENSE", import.meta.url), "utf8")
  .split("\n")
  .filter((l) => !/^Copyright/i.test(l))
  .join("\n")
  .replace(/\n{3,}/g, "\n\n")
  .trim();

const header = [
  "/*! The upcheck portal's code editor: CodeMirror 6, bundled by",
  " * src/http/portal/editor/build.sh (see its README; do not edit by hand).",
  " * Contains these packages, each under the MIT licence below:",
  ...packages.map((p) => " *   " + p),
  " *",
  ...license.split("\n").map((l) => (" * " + l).trimEnd()),
  " */",
  "",
].join("\n");
writeFileSync(out, header + result.outputFiles[0].text);
console.log(`${out.pathname}: ${(header.length + result.outputFiles[0].contents.length)} bytes, ${packages.length} packages`);
