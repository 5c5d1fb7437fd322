// Debian's Chromium through playwright-core (which never downloads a browser), with the flags this
// closed network needs: without the background-networking ones Chromium keeps dialling blocked hosts.
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const FLAGS = ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-quic'];

/** Launches headless Chromium; `extraArgs` are added to the standard flags. */
export function launchChromium(extraArgs = []) {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...FLAGS, ...extraArgs] });
}
