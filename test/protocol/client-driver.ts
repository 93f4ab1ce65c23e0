// The Node end of client_driver.py: one /usr/bin/python3 (PYMCACHE_DIFF_PYTHON) running the emitted client, one JSON
// request per line in and its outcome per line out (client_driver.py lists the requests).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PYTHON, PYTHONPATH, REPO_ROOT } from '../rig/differential';

/** What a read or a flush in Python ended with: rows, a flush done, or the error as the host would report it. */
export type PythonOutcome =
  | { rows: Record<string, string> }
  | { flushed: true }
  | { error: { class: string; message: string; hint: string | null } };

export class PythonClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<{ resolve: (line: string) => void; reject: (error: Error) => void }> = [];
  private stderr = '';

  constructor() {
    this.child = spawn(PYTHON, [join(REPO_ROOT, 'test', 'protocol', 'client_driver.py')], {
      env: { ...process.env, PYTHONPATH, PYTHONDONTWRITEBYTECODE: '1', PYTHONWARNINGS: 'ignore' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.resolve(line));
    this.child.once('close', (code) => {
      for (const waiter of this.waiting.splice(0))
        waiter.reject(new Error(`client_driver.py exited with ${String(code)}: ${this.stderr.trim()}`));
    });
  }

  async request<T = PythonOutcome>(request: Record<string, unknown>): Promise<T> {
    const line = await new Promise<string>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(`${JSON.stringify(request)}\n`);
    });
    return JSON.parse(line) as T;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('close', () => resolve());
      this.child.stdin.end();
    });
  }
}
