// Named test cases with PASS/FAIL lines, plus small assertion and polling helpers.

export class AssertionError extends Error {}

export function assert(condition, message) {
  if (!condition) throw new AssertionError(message);
}

export function assertEqual(actual, expected, what) {
  if (actual !== expected) {
    throw new AssertionError(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a truthy value; throws with `what` after `timeout` ms. */
export async function waitUntil(probe, what, { timeout = 8000, interval = 50 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? ` (last error: ${last.message})` : '';
      throw new AssertionError(`timed out after ${timeout} ms waiting for ${what}${detail}`);
    }
    await sleep(interval);
  }
}

export function createRunner({ onFailure, label } = {}) {
  const results = [];
  const color = process.stdout.isTTY && !process.env.NO_COLOR;
  const paint = (code, text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  return {
    results,
    /** Runs one case; a failure is recorded and reported, and the next case still runs. */
    async test(name, fn, { timeout = 20_000 } = {}) {
      const started = Date.now();
      let timer;
      try {
        await Promise.race([
          fn(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new AssertionError(`case timed out after ${timeout} ms`)), timeout);
          }),
        ]);
        const ms = Date.now() - started;
        results.push({ name, ok: true, ms });
        console.log(`${paint('32', 'PASS')}  ${name}  (${ms} ms)`);
      } catch (err) {
        const ms = Date.now() - started;
        results.push({ name, ok: false, ms, error: err });
        console.log(`${paint('31', 'FAIL')}  ${name}  (${ms} ms)`);
        console.log(`      ${String(err && err.stack && !(err instanceof AssertionError) ? err.stack : err.message).split('\n').join('\n      ')}`);
        if (onFailure) await onFailure(name).catch(() => {});
      } finally {
        clearTimeout(timer);
      }
    },
    summary() {
      const failed = results.filter((r) => !r.ok);
      const total = results.reduce((sum, r) => sum + r.ms, 0);
      console.log(`\n${label ? `${label}: ` : ''}${results.length - failed.length}/${results.length} passed in ${(total / 1000).toFixed(1)} s` +
        (failed.length ? ` — failed: ${failed.map((r) => r.name).join(', ')}` : ''));
      return failed.length === 0;
    },
  };
}
