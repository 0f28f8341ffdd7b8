/**
 * Finding a Chromium for the browser tests: $DISTIL_CHROMIUM, else Debian's /usr/bin/chromium
 * (or one on PATH). Playwright's own browser download is not used (it needs network access at
 * test time); on a Debian/Ubuntu machine where we are root, the test installs the distribution's
 * package with apt-get itself. Otherwise it fails with what to do: it never skips.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

function lookup(): string | undefined {
  const env = process.env.DISTIL_CHROMIUM;
  if (env) {
    if (!existsSync(env)) throw new Error(`DISTIL_CHROMIUM=${env}: no such file`);
    return env;
  }
  return CANDIDATES.find((p) => existsSync(p));
}

export function findChromium(): string {
  const found = lookup();
  if (found) return found;
  const root = process.getuid?.() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  if (root && apt) {
    console.log('# browser tests: no Chromium found; installing Debian\'s chromium with apt-get (once, a few minutes)');
    const r = spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'], { stdio: 'inherit', timeout: 15 * 60_000 });
    const after = lookup();
    if (r.status === 0 && after) return after;
  }
  throw new Error(
    'The browser tests need Chromium and none was found. Install it (Debian/Ubuntu: sudo apt-get install chromium) ' +
      'or point DISTIL_CHROMIUM at a Chromium or Chrome binary.',
  );
}
