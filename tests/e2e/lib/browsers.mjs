// The browsers the end-to-end tests run in: Chromium through playwright-core, Firefox ESR through
// geckodriver (lib/firefox.mjs, the same Page API subset). Pick with arguments or $E2E_BROWSERS
// (`node tests/e2e/run.mjs firefox`); the default is all of them.
import { launchChromium } from './chromium.mjs';
import { launchFirefox } from './firefox.mjs';

const LAUNCH = { chromium: launchChromium, firefox: launchFirefox };

export function browserNames(argv = process.argv.slice(2)) {
  const names = argv.length ? argv : (process.env.E2E_BROWSERS || Object.keys(LAUNCH).join(' ')).split(/[\s,]+/).filter(Boolean);
  for (const name of names) if (!LAUNCH[name]) throw new Error(`unknown browser ${name} (known: ${Object.keys(LAUNCH).join(', ')})`);
  return names;
}

export function launch(name) {
  return LAUNCH[name]();
}
