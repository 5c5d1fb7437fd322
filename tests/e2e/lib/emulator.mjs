// Uses the emulator named by $EMULATOR_URL, or starts target/debug/coze-emulator on a free port and
// reads its first stdout line, `COZE_EMULATOR_URL=http://127.0.0.1:PORT`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export async function useEmulator(root) {
  if (process.env.EMULATOR_URL) {
    return { url: process.env.EMULATOR_URL.replace(/\/+$/, ''), owned: false, stop: async () => {} };
  }
  const bin = path.join(root, 'target', 'debug', 'coze-emulator');
  if (!existsSync(bin)) {
    throw new Error(`${bin} is missing: build it with \`cargo build -p coze-emulator\` or set EMULATOR_URL`);
  }
  const child = spawn(bin, ['--port', '0', '--quiet'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the emulator did not print its URL within 10 s\n${stderr}`)), 10_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^COZE_EMULATOR_URL=(\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited with ${code}\n${stderr}`));
    });
  });
  child.stdout.resume();
  return {
    url: url.replace(/\/+$/, ''),
    owned: true,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('exit', () => { clearTimeout(timer); resolve(); });
      child.kill('SIGTERM');
    }),
  };
}
