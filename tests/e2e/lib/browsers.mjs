// The browsers the end-to-end tests run in: Chromium through playwright-core, Firefox ESR through
// geckodriver (lib/firefox.mjs, the same Page API subset), WebKitGTK through WebKitWebDriver
// (lib/webkit.mjs, classic WebDriver only; `browser.lacks` says what it cannot do). Pick with
// arguments or $E2E_BROWSERS (`node tests/e2e/run.mjs firefox`); the default is Chromium and Firefox.
import { launchChromium } from './chromium.mjs';
import { launchFirefox } from './firefox.mjs';
import { launchWebKit } from './webkit.mjs';

const LAUNCH = { chromium: launchChromium, firefox: launchFirefox, webkit: launchWebKit };
// Not in the default set: WebKitGTK needs an X display (scripts/webkit.sh runs it under xvfb-run).
const DEFAULT = ['chromium', 'firefox'];

export function browserNames(argv = process.argv.slice(2)) {
  const names = argv.length ? argv : (process.env.E2E_BROWSERS || DEFAULT.join(' ')).split(/[\s,]+/).filter(Boolean);
  for (const name of names) if (!LAUNCH[name]) throw new Error(`unknown browser ${name} (known: ${Object.keys(LAUNCH).join(', ')})`);
  return names;
}

export function launch(name) {
  return LAUNCH[name]();
}
