// Scratch directories for the end-to-end tests and the page benchmarks: Chromium's profiles and
// the scenario files a test writes. Each is removed when the test file's process exits, passed
// or failed, or earlier by `removeScratch`; a Chromium profile is about 2 MB, and every test
// opens one, so runs must not leave them behind in the temp directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set();

process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A new empty directory in the temp directory, its name starting with `prefix`. */
export function scratchDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/** Removes a scratch directory now (a closed browser's profile). */
export function removeScratch(dir) {
  made.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}
