// Debian's Chromium driven by playwright-core, for tests that look at a page as a person
// would. `.ci/run` installs the package (scripts/ensure-services.sh); a machine without it
// fails the test with the command that installs it.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.VIGIL_TEST_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: run 'apt-get update && apt-get install -y chromium' (scripts/ensure-services.sh does)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // The machine has no network but loopback: background networking only fails.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
