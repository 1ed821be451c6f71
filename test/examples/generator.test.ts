// The bundled example (examples/logs, examples/tokens.tsv) is reproducible byte for byte, has the exact
// line shapes phabwatch's parsers expect, and contains every planted incident and near miss that the
// README documents, while the ordinary traffic around them stays quiet.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { parse as parseYaml } from 'yaml';

import { EXAMPLE_FILES, writeExample } from '../../examples/generate/main.js';
import { TrafficModel } from '../../examples/generate/traffic.js';
import {
  localClock, maxInWindow, type NginxLine, parseNginx, parsePhab, parseRegistry, parseSsh, type PhabLine,
  readLines, repoRoot,
} from './read-logs.js';

const ROOT = repoRoot();
const EXAMPLES = join(ROOT, 'examples');
const TOKEN_PATTERN = /(api|cli|clr)-[a-z2-7]{28}/;
const CONDUIT = 'PhabricatorConduitAPIController';
const NOT_FOUND = 'PhabricatorPlatform404Controller';
const NO_AUTH_METHODS = new Set(['conduit.connect', 'conduit.getcapabilities', 'conduit.getcertificate', 'conduit.ping']);
const MINUTE = 60000;

const utc = (clock: string): number => Date.parse(`2026-11-24T${clock}Z`);
const utcNextDay = (clock: string): number => Date.parse(`2026-11-25T${clock}Z`);

interface Example {
  phabRaw: string[];
  phab: PhabLine[];
  nginx: NginxLine[];
  ssh: ReturnType<typeof parseSsh>[];
  daemonLines: string[];
  registry: ReturnType<typeof parseRegistry>;
  config: {
    timezone: string;
    identities: { registry: string; bots: string[]; timezones: Record<string, string>; cluster_networks: string[] };
    sources: { name: string; type: string; path: string }[];
  };
}

function loadExample(): Example {
  const phabRaw = readLines(join(EXAMPLES, EXAMPLE_FILES.phabricatorAccess));
  return {
    phabRaw,
    phab: phabRaw.map(parsePhab),
    nginx: readLines(join(EXAMPLES, EXAMPLE_FILES.nginx)).map(parseNginx),
    ssh: readLines(join(EXAMPLES, EXAMPLE_FILES.ssh)).map(parseSsh),
    daemonLines: readLines(join(EXAMPLES, EXAMPLE_FILES.daemons)),
    registry: parseRegistry(join(EXAMPLES, EXAMPLE_FILES.registry)),
    config: parseYaml(readFileSync(join(EXAMPLES, 'phabwatch.yaml'), 'utf8')) as Example['config'],
  };
}

function tokenOf(query: string | null): string | null {
  if (query === null) return null;
  const match = /(?:^|&)api\.token=([^&]*)/.exec(query);
  return match === null ? null : (match[1] as string);
}

describe('the bundled example', () => {
  let ex: Example;
  before(() => {
    ex = loadExample();
  });

  describe('reproducibility', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'phabwatch-example-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('regenerates byte for byte into a fresh folder', () => {
      writeExample(dir);
      for (const file of Object.values(EXAMPLE_FILES)) {
        const fresh = readFileSync(join(dir, file));
        const committed = readFileSync(join(EXAMPLES, file));
        assert.ok(fresh.equals(committed), `${file} differs from the committed copy: run the generator and commit`);
      }
    });
  });

  describe('line shapes', () => {
    it('writes 15,000-25,000 Phorge lines of 11 tab-separated fields, files under ~4 MB', () => {
      assert.ok(ex.phab.length >= 15000 && ex.phab.length <= 25000, `${ex.phab.length} Phorge lines`);
      for (const line of ex.phab) {
        assert.ok(Number.isInteger(line.pid) && line.pid > 0);
        assert.ok(Number.isInteger(line.status) && line.status >= 200 && line.status < 600);
        assert.ok(line.durationUs === null || (Number.isInteger(line.durationUs) && line.durationUs > 0));
        assert.match(line.encodedPath, /^\/[A-Za-z0-9\-_.~/%]*$/, 'only percent-encoded paths');
      }
      for (const file of [EXAMPLE_FILES.phabricatorAccess, EXAMPLE_FILES.nginx]) {
        assert.ok(readFileSync(join(EXAMPLES, file)).length < 4.2e6, `${file} is over ~4 MB`);
      }
    });

    it('covers one New York day in UTC timestamps, each file in write order', () => {
      const dayStart = utc('05:00:00');
      const dayEnd = utcNextDay('05:00:00');
      assert.ok(ex.phab.every((l) => l.startMs >= dayStart && l.startMs < dayEnd + 30 * MINUTE));
      assert.ok(ex.phabRaw.every((l) => l.includes(' +0000]\t')));
      for (let i = 1; i < ex.nginx.length; i++) {
        assert.ok((ex.nginx[i] as NginxLine).endMs >= (ex.nginx[i - 1] as NginxLine).endMs, `nginx line ${i + 1} goes back in time`);
      }
      const daemonTimes = ex.daemonLines.map((l) => {
        const m = /^\[(\d{2})-(\w{3})-(\d{4}) (\d{2}:\d{2}:\d{2}) UTC\] /.exec(l);
        assert.ok(m !== null, `daemon line without PHP prefix: ${l}`);
        return Date.parse(`${m[2]} ${m[1]} ${m[3]} ${m[4]} UTC`);
      });
      for (let i = 1; i < daemonTimes.length; i++) assert.ok((daemonTimes[i] as number) >= (daemonTimes[i - 1] as number));
    });

    it('logs requests at their start in Phorge and their end in nginx, so Phorge %D is not always sorted', () => {
      let outOfOrder = 0;
      for (let i = 1; i < ex.phab.length; i++) if ((ex.phab[i] as PhabLine).startMs < (ex.phab[i - 1] as PhabLine).startMs) outOfOrder++;
      assert.ok(outOfOrder > 0, 'long requests started earlier should be written after short later ones');
    });

    it('gives every Phorge request its nginx line (same address and path, ending after it started)', () => {
      const nginxByKey = new Map<string, NginxLine[]>();
      for (const line of ex.nginx) {
        if (line.path === null) continue;
        const key = `${line.ip} ${decodeURIComponent(line.path)}`;
        const list = nginxByKey.get(key) ?? [];
        list.push(line);
        nginxByKey.set(key, list);
      }
      const used = new Map<string, number>();
      const phabSorted = [...ex.phab].sort((a, b) => a.startMs - b.startMs);
      for (const line of phabSorted) {
        const key = `${line.ip} ${decodeURIComponent(line.encodedPath)}`;
        const candidates = nginxByKey.get(key) ?? [];
        let index = used.get(key) ?? 0;
        while (index < candidates.length && (candidates[index] as NginxLine).endMs < line.startMs - 1000) index++;
        const match = candidates[index];
        assert.ok(match !== undefined, `no nginx line for Phorge request ${key} at ${new Date(line.startMs).toISOString()}`);
        const latest = line.startMs + (line.durationUs === null ? 120000 : line.durationUs / 1000 + 2000);
        assert.ok(match.endMs <= latest, `nginx line for ${key} ends too late`);
        assert.ok(match.status === line.status || (line.status === 200 && match.status === 302),
          `status ${line.status} in Phorge but ${match.status} in nginx for ${key}`);
        used.set(key, index + 1);
      }
      assert.ok(ex.nginx.length > ex.phab.length, 'static files, 429s and garbage appear in nginx only');
    });

    it('writes SSH lines of 13 fields with %c empty on success and 1 on failure', () => {
      assert.ok(ex.ssh.length > 100);
      assert.ok(ex.ssh.every((l) => l.exit === '' || l.exit === '1'));
      assert.ok(ex.ssh.some((l) => l.exit === ''));
      assert.ok(ex.ssh.every((l) => l.workflow === null || l.command?.startsWith(`${l.workflow} '`)));
    });

    it('shows Phorge-specific shapes: encoded password:self, anonymous 404 as 200, redirects 200 vs 302', () => {
      assert.ok(ex.phab.some((l) => l.encodedPath === '/auth/login/password%3Aself/'));
      assert.ok(ex.nginx.some((l) => l.path === '/auth/login/password:self/' && l.status === 302 && l.bytes === 5));
      assert.ok(ex.phab.some((l) => l.controller === NOT_FOUND && l.user === null && l.status === 200));
      assert.ok(ex.phab.some((l) => l.controller === NOT_FOUND && l.user !== null && l.status === 404));
      assert.ok(ex.phab.some((l) => l.status === 500 && l.durationUs === null), 'a fatal-path 500 with %T -');
      assert.ok(ex.nginx.some((l) => l.status === 429) && ex.nginx.some((l) => l.status === 400 && l.request.startsWith('\\x16\\x03')));
      assert.ok(ex.nginx.some((l) => l.userAgent.includes('\\x22')), 'a quote in a User-Agent is escaped');
    });
  });

  describe('tokens', () => {
    it('exports the registry with bots, one admin, a disabled user, an expired and a revoked token', () => {
      const rows = ex.registry;
      assert.ok(rows.every((r) => /^(api|cli|clr)-[a-z2-7]{28}$/.test(r.token) && r.token.startsWith(`${r.tokenType}-`)));
      assert.ok(rows.some((r) => r.userName === 'phabricator-bot' && r.isSystemAgent));
      assert.ok(rows.some((r) => r.userName === 'cluster-sync' && r.isSystemAgent && r.tokenType === 'clr'));
      assert.deepEqual([...new Set(rows.filter((r) => r.isAdmin).map((r) => r.userName))], ['grace']);
      assert.deepEqual([...new Set(rows.filter((r) => r.isDisabled).map((r) => r.userName))], ['mallory']);
      const dayStartSeconds = utc('05:00:00') / 1000;
      assert.ok(rows.some((r) => r.userName === 'oscar' && r.tokenType === 'cli' && r.expires !== null && r.expires < dayStartSeconds));
      assert.ok(rows.some((r) => r.userName === 'kim' && r.tokenType === 'api' && r.expires !== null && r.expires < dayStartSeconds));
    });

    it('never puts a token in the Phorge, SSH or daemon logs; nginx only shows registry tokens and the attacker\'s guesses', () => {
      for (const [name, lines] of [['Phorge', ex.phabRaw], ['daemon', ex.daemonLines]] as const) {
        assert.ok(lines.every((l) => !TOKEN_PATTERN.test(l)), `a token in the ${name} log`);
      }
      assert.ok(ex.ssh.every((l) => l.command === null || !TOKEN_PATTERN.test(l.command)));
      const known = new Set(ex.registry.map((r) => r.token));
      for (const line of ex.nginx) {
        const token = tokenOf(line.query);
        if (token !== null && !known.has(token)) {
          assert.equal(line.ip, '198.51.100.201', `unknown token from ${line.ip}`);
        }
      }
    });
  });

  describe('documentation', () => {
    it('README states each log\'s line count and each incident\'s rule id with its New York start time', () => {
      const readme = readFileSync(join(EXAMPLES, 'README.md'), 'utf8');
      const counts: Record<string, number> = {
        [EXAMPLE_FILES.phabricatorAccess]: ex.phab.length, [EXAMPLE_FILES.nginx]: ex.nginx.length,
        [EXAMPLE_FILES.ssh]: ex.ssh.length, [EXAMPLE_FILES.daemons]: ex.daemonLines.length,
      };
      for (const [file, count] of Object.entries(counts)) {
        const row = readme.split('\n').find((l) => l.trimStart().startsWith(file));
        assert.ok(row?.includes(`${count.toLocaleString('en-US')} lines`), `README's count for ${file} is stale (${count})`);
      }
      for (const scenario of new TrafficModel({}).scenarios.filter((s) => s.kind === 'incident')) {
        const start = localClock(scenario.fromMs, 'America/New_York');
        const hhmm = `${String(start.hour).padStart(2, '0')}:${String(start.minute).padStart(2, '0')}`;
        const row = readme.split('\n').find((l) => l.startsWith(`| \`${scenario.rules[0]}\``));
        assert.ok(row?.includes(hhmm), `README has no row for ${scenario.id} starting ${hhmm}`);
      }
    });
  });

  describe('configuration', () => {
    it('lists every person outside New York with their zone, and the bots the registry does not flag', () => {
      const model = new TrafficModel({});
      const expected = Object.fromEntries(model.cast.people.filter((p) => p.zone !== 'America/New_York').map((p) => [p.username, p.zone]));
      assert.deepEqual(ex.config.identities.timezones, expected);
      assert.equal(ex.config.timezone, 'America/New_York');
      assert.equal(ex.config.identities.registry, './tokens.tsv');
      const systemAgents = new Set(ex.registry.filter((r) => r.isSystemAgent).map((r) => r.userName));
      for (const bot of model.cast.bots) {
        assert.ok(systemAgents.has(bot.username) || ex.config.identities.bots.includes(bot.username), `${bot.username} is not known as a bot`);
      }
      const paths = ex.config.sources.map((s) => s.path.replace('*', ''));
      assert.deepEqual(paths.sort(), Object.values(EXAMPLE_FILES).filter((f) => f.startsWith('logs/')).sort());
    });
  });

  describe('planted incidents', () => {
    const conduitOf = (user: string): PhabLine[] => ex.phab.filter((l) => l.controller === CONDUIT && l.user === user);

    it('offhours-token-use: priya calls Conduit at 3 a.m. Kolkata time', () => {
      const night = conduitOf('priya').filter((l) => localClock(l.startMs, 'Asia/Kolkata').hour === 3);
      assert.ok(night.length >= 10, `${night.length} calls`);
      assert.ok(night.every((l) => { const { hour } = localClock(l.startMs, 'America/New_York'); return hour >= 8 && hour < 19; }),
        'business hours in New York, so only the identity\'s own zone reveals it');
    });

    it('token-new-ip: dave\'s token arrives from an address never seen before', () => {
      const daveTokens = new Set(ex.registry.filter((r) => r.userName === 'dave').map((r) => r.token));
      const firstSeen = new Map<string, number>();
      for (const line of ex.nginx) if (!firstSeen.has(line.ip)) firstSeen.set(line.ip, line.endMs);
      const fromNewIp = ex.nginx.filter((l) => daveTokens.has(tokenOf(l.query) ?? '') && l.ip === '192.0.2.147');
      assert.ok(fromNewIp.length >= 10);
      assert.ok(ex.nginx.filter((l) => daveTokens.has(tokenOf(l.query) ?? '')).some((l) => l.endMs < (firstSeen.get('192.0.2.147') as number)),
        'the token was in use before, from elsewhere');
    });

    it('token-rate-spike: phabricator-bot calls at least 10x its usual rate for half an hour', () => {
      const calls = conduitOf('phabricator-bot');
      const from = utc('15:20:00');
      const to = utc('15:50:00');
      const inside = calls.filter((l) => l.startMs >= from && l.startMs < to).length / 30;
      const outside = calls.filter((l) => l.startMs < from || l.startMs >= to).length / (24 * 60 - 30);
      assert.ok(inside >= 10 * outside, `${inside.toFixed(1)}/min during vs ${outside.toFixed(2)}/min usually`);
    });

    it('conduit-auth-failure-burst: one address, dozens of failed calls: %u -, method set, HTTP 200', () => {
      const failures = ex.phab.filter((l) => l.ip === '198.51.100.201');
      assert.ok(failures.every((l) => l.controller === CONDUIT && l.user === null && l.conduitMethod !== null && l.status === 200));
      assert.ok(maxInWindow(failures.map((l) => l.startMs), 10 * MINUTE) >= 50);
      const revoked = ex.registry.find((r) => r.userName === 'kim' && r.expires !== null)?.token;
      assert.ok(ex.nginx.some((l) => l.ip === '198.51.100.201' && tokenOf(l.query) === revoked), 'kim\'s revoked token is tried');
    });

    it('login-bruteforce then login-after-bruteforce: 60+ rejected logins in 10 minutes, then one accepted', () => {
      const posts = ex.nginx.filter((l) => l.ip === '198.51.100.66' && l.method === 'POST' && l.path === '/auth/login/password:self/');
      const rejected = posts.filter((l) => l.status === 200);
      assert.ok(rejected.every((l) => l.bytes > 5000 && l.bytes < 7000), 'the form shown again, ~5.9 kB');
      assert.ok(maxInWindow(rejected.map((l) => l.endMs), 10 * MINUTE) >= 60);
      const accepted = posts.filter((l) => l.status === 302);
      assert.equal(accepted.length, 1);
      const lastRejected = Math.max(...rejected.map((l) => l.endMs));
      assert.ok((accepted[0] as NginxLine).endMs >= lastRejected);
      const validate = ex.phab.find((l) => l.ip === '198.51.100.66' && l.encodedPath === '/auth/validate/');
      assert.equal(validate?.user, 'ivan');
      assert.ok((validate as PhabLine).startMs >= lastRejected - 1000);
      const phabAttempts = ex.phab.filter((l) => l.ip === '198.51.100.66' && l.controller === 'PhabricatorAuthLoginController');
      assert.ok(phabAttempts.every((l) => l.user === null && l.status === 200), 'Phorge cannot tell failure from success');
    });

    it('webhook-failure-spike: 10+ retried 502s within 5 minutes, then recovery', () => {
      const failures = ex.daemonLines.filter((l) => l.includes('EXCEPTION') && l.includes('to "https://ci.example.com/phorge/webhook") failed (http / 502). The request will be retried.'));
      const times = failures.map((l) => Date.parse(`${l.slice(1, 21).replace(/-/g, ' ')} UTC`));
      assert.ok(maxInWindow(times, 5 * MINUTE) >= 10, `${maxInWindow(times, 5 * MINUTE)} in 5 minutes`);
      assert.ok(Math.min(...times) >= utc('19:05:00') && Math.max(...times) < utc('19:40:00'), 'fails only during the outage');
      const requests = new Set(failures.map((l) => /Webhook request \("(PHID-HWBR-[a-z2-7]{20})"/.exec(l)?.[1]));
      assert.ok(requests.size < failures.length, 'requests are retried, so a request fails more than once');
    });

    it('scanner-burst: 150+ nonexistent paths from one address, logged as 200 by Phorge for anonymous visitors', () => {
      const probes = ex.phab.filter((l) => l.ip === '192.0.2.99');
      assert.ok(probes.every((l) => l.controller === NOT_FOUND && l.status === 200 && l.user === null));
      assert.ok(new Set(probes.map((l) => l.encodedPath)).size >= 150);
      assert.ok(maxInWindow(probes.map((l) => l.startMs), 10 * MINUTE) === probes.length);
    });

    it('server-error-spike: the share of 500s on pages jumps for ten minutes', () => {
      const pages = ex.phab.filter((l) => l.controller !== CONDUIT && l.controller !== 'PhabricatorStatusController');
      const share = (lines: PhabLine[]): number => lines.filter((l) => l.status === 500).length / lines.length;
      const inside = pages.filter((l) => l.startMs >= utc('16:40:00') && l.startMs < utc('16:50:00'));
      const outside = pages.filter((l) => l.startMs < utc('16:40:00') || l.startMs >= utc('16:50:00'));
      assert.ok(inside.length >= 50);
      assert.ok(share(inside) >= 0.2 && share(outside) < 0.01, `${share(inside)} vs ${share(outside)}`);
    });

    it('bulk-repository-read: erin clones 25+ distinct repositories within 10 minutes', () => {
      const clones = ex.phab
        .filter((l) => l.user === 'erin' && /^\/source\/[^/]+\.git\/git-upload-pack$/.test(l.encodedPath))
        .sort((a, b) => a.startMs - b.startMs);
      let best = 0;
      for (const first of clones) {
        const repos = new Set(clones.filter((l) => l.startMs >= first.startMs && l.startMs < first.startMs + 10 * MINUTE).map((l) => l.encodedPath));
        best = Math.max(best, repos.size);
      }
      assert.ok(best >= 25, `${best} repositories`);
      assert.ok(ex.nginx.some((l) => l.remoteUser === 'erin' && l.path?.endsWith('/git-upload-pack')), 'HTTP Basic user in nginx');
    });

    it('cluster-token-outside-cluster: the clr- token in a query string from outside 10.0.0.0/8', () => {
      const clr = ex.registry.find((r) => r.tokenType === 'clr')?.token;
      const uses = ex.nginx.filter((l) => tokenOf(l.query) === clr);
      assert.ok(uses.length > 0 && uses.every((l) => l.ip === '198.51.100.140'));
      assert.ok(ex.phab.filter((l) => l.ip === '198.51.100.140').every((l) => l.user === null), 'Phorge refuses it');
      assert.ok(conduitOf('cluster-sync').every((l) => l.ip.startsWith('10.')), 'normal cluster traffic stays inside');
    });

    it('admin-action: the admin edits config, creates a token, empowers a user and views a webhook key at night', () => {
      const night = ex.phab.filter((l) => l.user === 'grace' && localClock(l.startMs, 'America/New_York').hour < 5);
      for (const prefix of ['/config/edit/', '/conduit/token/edit/', '/people/empower/', '/herald/webhook/key/view/']) {
        assert.ok(night.some((l) => l.encodedPath.startsWith(prefix)), `no ${prefix} at night`);
      }
      const sensitive = /^\/(config\/edit|conduit\/token\/edit|people\/empower|herald\/webhook\/key)\//;
      assert.ok(ex.phab.filter((l) => sensitive.test(l.encodedPath)).every((l) => l.user === 'grace'
        && localClock(l.startMs, 'America/New_York').hour < 5), 'no other sensitive admin action all day');
    });

    it('log-silence: the SSH log pauses 45 minutes in the afternoon and never for 30 minutes otherwise', () => {
      const starts = ex.ssh.map((l) => l.startMs).sort((a, b) => a - b);
      let planted = 0;
      for (let i = 1; i < starts.length; i++) {
        const gap = (starts[i] as number) - (starts[i - 1] as number);
        const covers = (starts[i - 1] as number) <= utc('20:05:00') && (starts[i] as number) >= utc('20:50:00');
        if (covers) planted = gap;
        else assert.ok(gap < 30 * MINUTE, `an unplanned ${Math.round(gap / MINUTE)}-minute SSH silence at ${new Date(starts[i - 1] as number).toISOString()}`);
      }
      assert.ok(planted >= 45 * MINUTE);
    });
  });

  describe('near misses and ordinary traffic stay below the rules', () => {
    it('people use tokens only inside 08:00-19:00 of their own zone, except priya\'s planted night', () => {
      const bots = new Set([...ex.config.identities.bots, ...ex.registry.filter((r) => r.isSystemAgent).map((r) => r.userName)]);
      const offHours = ex.phab.filter((l) => {
        if (l.controller !== CONDUIT || l.user === null || bots.has(l.user)) return false;
        const { hour } = localClock(l.startMs, ex.config.identities.timezones[l.user] ?? ex.config.timezone);
        return hour < 8 || hour >= 19;
      });
      assert.deepEqual([...new Set(offHours.map((l) => l.user))], ['priya']);
      const newYorkEvening = ex.phab.filter((l) => l.controller === CONDUIT && l.user === 'sam' && localClock(l.startMs, 'America/New_York').hour >= 21);
      assert.ok(newYorkEvening.length > 0, 'sam works at 18:20 in Los Angeles, after hours in New York');
      const nightBot = ex.phab.filter((l) => l.controller === CONDUIT && l.user === 'ci-bot').filter((l) => localClock(l.startMs, 'America/New_York').hour === 2);
      assert.ok(nightBot.length >= 20, 'the nightly CI batch');
    });

    it('only dave\'s token ever shows up from a second address', () => {
      const addresses = new Map<string, Set<string>>();
      for (const line of ex.nginx) {
        const token = tokenOf(line.query);
        if (token === null) continue;
        const set = addresses.get(token) ?? new Set<string>();
        set.add(line.ip);
        addresses.set(token, set);
      }
      const moved = [...addresses].filter(([, ips]) => ips.size > 1).map(([token]) => ex.registry.find((r) => r.token === token)?.userName);
      assert.deepEqual(moved, ['dave']);
    });

    it('no other address comes near the login, auth-failure or scanner bounds', () => {
      const rejectedByIp = new Map<string, number[]>();
      for (const l of ex.nginx) {
        if (l.method === 'POST' && l.path === '/auth/login/password:self/' && l.status === 200 && l.ip !== '198.51.100.66') {
          rejectedByIp.set(l.ip, [...(rejectedByIp.get(l.ip) ?? []), l.endMs]);
        }
      }
      const worstLogin = Math.max(...[...rejectedByIp.values()].map((t) => maxInWindow(t, 10 * MINUTE)));
      assert.ok(worstLogin >= 5 && worstLogin <= 8, `olivia's 5 typos are the worst elsewhere (got ${worstLogin})`);

      const authFailures = new Map<string, number[]>();
      const notFound = new Map<string, number>();
      for (const l of ex.phab) {
        if (l.ip === '198.51.100.201' || l.ip === '192.0.2.99') continue;
        if (l.controller === CONDUIT && l.user === null && l.conduitMethod !== null && !NO_AUTH_METHODS.has(l.conduitMethod)) {
          authFailures.set(l.ip, [...(authFailures.get(l.ip) ?? []), l.startMs]);
        }
        if (l.controller === NOT_FOUND) notFound.set(l.ip, (notFound.get(l.ip) ?? 0) + 1);
      }
      assert.ok(Math.max(...[...authFailures.values()].map((t) => maxInWindow(t, 10 * MINUTE))) <= 6);
      const mallory = ex.registry.find((r) => r.userName === 'mallory')?.token;
      assert.equal(ex.nginx.filter((l) => tokenOf(l.query) === mallory).length, 9, 'the disabled account\'s hourly job');
      assert.ok(ex.phab.some((l) => l.conduitMethod === 'conduit.ping' && l.user === null));
      assert.ok(Math.max(...notFound.values()) <= 10);
      assert.ok(ex.phab.filter((l) => l.user === 'bob' && l.status === 404).length >= 3);
    });

    it('the chat webhook fails alone now and then, never 10 times in 5 minutes', () => {
      const chat = ex.daemonLines.filter((l) => l.includes('EXCEPTION') && l.includes('chat.example.com'));
      assert.ok(chat.length >= 1 && chat.every((l) => l.includes('failed (timeout / 28)')));
      assert.ok(ex.daemonLines.some((l) => /Associated hook \("PHID-HWBH-[a-z2-7]{20}"\) for webhook request \("PHID-HWBR-[a-z2-7]{20}"\) is disabled\./.test(l)));
    });
  });
});
