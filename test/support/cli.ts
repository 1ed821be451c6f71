// Running the real `phabwatch` binary from tests: one-shot commands and long-running agents.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** Repository root (dist/test/support -> ../../..). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
export const BIN = join(REPO_ROOT, 'bin', 'phabwatch.js');
export const REALWORLD = resolve(REPO_ROOT, '..', 'shared', 'data', 'realworld');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    input: options.input,
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface RunningAgent {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** resolves with the exit code (or the signal name) */
  exited: Promise<number | string>;
}

export function startAgent(args: string[], options: { cwd?: string } = {}): RunningAgent {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | string>((resolveExit) => {
    child.on('exit', (code, signal) => resolveExit(code ?? signal ?? 'unknown'));
  });
  return { child, output: () => ({ stdout, stderr }), exited };
}

export async function waitFor<T>(probe: () => T | null | undefined | false, timeoutMs: number, what: string, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface TempDir {
  path: string;
  file(name: string, content: string | Buffer): string;
  remove(): void;
}

export function tempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), `pw-${prefix}-`));
  return {
    path,
    file(name, content) {
      const full = join(path, name);
      writeFileSync(full, content);
      return full;
    },
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}
