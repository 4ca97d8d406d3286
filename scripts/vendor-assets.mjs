// Copies the front-end files AuditKit serves from node_modules into auditkit/web/static/vendor.
// Nothing third-party is committed: `npm ci` fetches the packages, this script picks the files.
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const vendor = join(root, "auditkit", "web", "static", "vendor");

const files = {
  "bootstrap/dist/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
  "bootstrap/dist/css/bootstrap.rtl.min.css": "bootstrap/bootstrap.rtl.min.css",
  "bootstrap/dist/js/bootstrap.bundle.min.js": "bootstrap/bootstrap.bundle.min.js",
  "htmx.org/dist/htmx.min.js": "htmx/htmx.min.js",
  "swagger-ui-dist/swagger-ui-bundle.js": "swagger-ui/swagger-ui-bundle.js",
  "swagger-ui-dist/swagger-ui.css": "swagger-ui/swagger-ui.css",
};
// Web fonts: only the weights the pages use, woff2 only (every browser we support reads it).
const fonts = ["vazirmatn", "noto-sans-sc", "noto-sans-tc"];
const weights = ["400", "700"];

rmSync(vendor, { recursive: true, force: true });
for (const [from, to] of Object.entries(files)) {
  mkdirSync(dirname(join(vendor, to)), { recursive: true });
  cpSync(join(modules, from), join(vendor, to));
}
for (const font of fonts) {
  const src = join(modules, "@fontsource", font);
  const dest = join(vendor, "fonts", font);
  mkdirSync(join(dest, "files"), { recursive: true });
  for (const weight of weights) {
    const css = readFileSync(join(src, `${weight}.css`), "utf8").replace(/, url\([^)]*\.woff\) format\('woff'\)/g, "");
    writeFileSync(join(dest, `${weight}.css`), css);
  }
  for (const file of readdirSync(join(src, "files"))) {
    if (file.endsWith(".woff2") && weights.some((w) => file.includes(`-${w}-normal`))) {
      cpSync(join(src, "files", file), join(dest, "files", file));
    }
  }
}
// TTF for charts drawn on the server (matplotlib cannot read woff2): Vazirmatn covers Persian.
mkdirSync(join(vendor, "fonts", "ttf"), { recursive: true });
for (const weight of ["Regular", "Bold"]) {
  cpSync(join(modules, "vazirmatn", "fonts", "ttf", `Vazirmatn-${weight}.ttf`),
         join(vendor, "fonts", "ttf", `Vazirmatn-${weight}.ttf`));
}
console.log(`vendor assets copied to ${vendor}`);
