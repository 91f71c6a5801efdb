import { spawn, type ChildProcess } from 'node:child_process';

/** Starts examples/blog in a child process; resolves with its address. */
export async function startBlog(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'examples/blog/server.ts'], { env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`examples/blog did not start: ${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => fail(new Error(`examples/blog exited with ${code}: ${output}`)));
  });
  return { child: proc, url };
}

export function stopChild(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    proc.once('exit', () => done());
    proc.kill('SIGTERM');
  });
}

