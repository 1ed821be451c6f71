// `phabwatch rules test [DIR]` and `phabwatch rules lint [DIR]`: the rule pack's own tests, and validation.

import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatIssue } from '../config/validation.js';
import type { PhabwatchConfig } from '../config/types.js';
import { loadRules } from '../rules/loader.js';
import { formatResult, runRuleTestFile, type FileResult } from '../rules/testRunner.js';
import { NetworkSet } from '../attribution/networks.js';
import { TokenRegistry } from '../attribution/tokenRegistry.js';
import { COMMON_OPTIONS, EXIT, parseCommandArgs, UsageError, type Command } from './command.js';
import { PACKAGE_ROOT, resolveConfig } from './configResolver.js';
import { toJson } from './output.js';

export const SHIPPED_RULES_DIR = join(PACKAGE_ROOT, 'rules');

const OPTIONS = { ...COMMON_OPTIONS, json: { type: 'boolean' } } as const;

export const rulesCommand: Command = {
  name: 'rules',
  summary: 'test or lint detection rules (rules test|lint [DIR])',
  usage: `phabwatch rules test [DIR] [--json]
phabwatch rules lint [DIR] [--json]

test: runs every <id>.test.yaml in DIR (default: the shipped pack and the config's rules.dir) through the same
      parsers and engine as \`run\`, and prints a diff for each failing case. Exit 1 on a failure.
lint: validates every rule in DIR (default: the shipped pack, the config's rules.dir, and rules.disabled) and
      lists them. Exit 1 on a problem.`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, OPTIONS, true);
    if (values.help) {
      process.stdout.write(`${this.usage}\n`);
      return EXIT.ok;
    }
    const [sub, dir, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError('expected at most one DIR');
    if (dir !== undefined && !existsSync(dir)) throw new UsageError(`${dir}: no such folder`);
    if (sub === 'test') return testRules(dir, values.config, values.json === true);
    if (sub === 'lint') return lintRules(dir, values.config, values.json === true);
    throw new UsageError(sub === undefined ? 'expected a subcommand: rules test or rules lint' : `unknown subcommand "${sub}": expected test or lint`);
  },
};

function ruleDirs(dir: string | undefined, configOption: string | undefined): { dirs: string[]; config: PhabwatchConfig | null } {
  if (dir !== undefined) return { dirs: [resolve(dir)], config: null };
  const { config } = resolveConfig(configOption);
  return { dirs: [SHIPPED_RULES_DIR, ...(config.rules.dir ? [config.rules.dir] : [])], config };
}

function testRules(dir: string | undefined, configOption: string | undefined, json: boolean): number {
  const { dirs } = ruleDirs(dir, configOption);
  const files = dirs.flatMap((d) => (existsSync(d) ? readdirSync(d).filter((f) => /\.test\.ya?ml$/.test(f)).sort().map((f) => join(d, f)) : []));
  if (files.length === 0) throw new UsageError(`no *.test.yaml files in ${dirs.join(', ')}`);
  const results: FileResult[] = files.map(runRuleTestFile);
  const failed = results.filter((r) => r.issues.length > 0 || r.cases.some((c) => !c.passed));
  if (json) process.stdout.write(`${toJson(results)}\n`);
  else {
    for (const r of results) process.stdout.write(`${formatResult(r)}\n`);
    const cases = results.reduce((n, r) => n + r.cases.length, 0);
    process.stdout.write(`${results.length} test files, ${cases} cases: ${failed.length === 0 ? 'all passed' : `${failed.length} file${failed.length === 1 ? '' : 's'} failed`}\n`);
  }
  return failed.length === 0 ? EXIT.ok : EXIT.failed;
}

function lintRules(dir: string | undefined, configOption: string | undefined, json: boolean): number {
  const { dirs, config } = ruleDirs(dir, configOption);
  const fields = {
    sourceTypes: new Map((config?.sources ?? []).map((s) => [s.name, s.type] as const)),
    registry: () => new TokenRegistry([], [], config?.identities.bots ?? []),
    clusterNetworks: new NetworkSet(config?.identities.cluster_networks ?? []),
  };
  const loaded = loadRules({
    shippedDir: dirs[0]!, userDir: dirs[1] ?? null, disabled: config?.rules.disabled ?? [], fields,
  });
  if (json) {
    process.stdout.write(`${toJson({ issues: loaded.issues, rules: loaded.rules.map((r) => ({ id: r.id, type: r.type, severity: r.severity, group_by: r.group_by, origin: r.origin, file: r.file, where: r.whereText })) })}\n`);
  } else {
    for (const issue of loaded.issues) process.stdout.write(`${formatIssue(issue)}\n`);
    for (const r of loaded.rules) process.stdout.write(`ok   ${r.id.padEnd(32)} ${r.type.padEnd(10)} ${r.severity.padEnd(8)} by ${r.group_by.join(', ') || '(all)'}${r.origin === 'user' ? '   (yours)' : ''}\n`);
    process.stdout.write(`${loaded.rules.length} rules, ${loaded.issues.length} problem${loaded.issues.length === 1 ? '' : 's'}\n`);
  }
  return loaded.issues.length === 0 ? EXIT.ok : EXIT.failed;
}
