// Planted incidents (each should raise a shipped rule) and near misses (each looks a little like an
// incident and must raise nothing). Times are org-local clock times on the generated day; the actors
// and addresses are fixed so README, tests and rule tests can name them.

import {
  arcRun, conduitCall, gitHttpClone, loginFlow, scriptRun, sessionClient, type Stage,
} from './activities.js';
import { ARC_WORKFLOWS, CONTROLLERS, REPOSITORIES, SCANNER_PATHS } from './catalog.js';
import { type DayFrame, orgTime, type TimeWindow } from './day-frame.js';
import { TLS_CLIENT_HELLO } from './fixed-streams.js';
import { mistypedPage } from './pages.js';
import type { Person, Token } from './population.js';
import type { Client } from './request-builder.js';

export const INCIDENT_IDS = [
  'offhours-token-use', 'token-new-ip', 'token-rate-spike', 'conduit-auth-failure-burst', 'login-bruteforce',
  'webhook-failure-spike', 'scanner-burst', 'server-error-spike', 'bulk-repository-read',
  'cluster-token-outside-cluster', 'admin-action', 'log-silence',
] as const;

export const NEAR_MISS_IDS = [
  'late-in-own-zone', 'evening-in-own-zone', 'bot-at-night', 'login-typos', 'few-404s', 'disabled-account-cron', 'unauthenticated-ping',
  'webhook-single-timeouts',
] as const;

export type IncidentId = (typeof INCIDENT_IDS)[number];
export type NearMissId = (typeof NEAR_MISS_IDS)[number];
export type ScenarioId = IncidentId | NearMissId;

export const ALL_SCENARIOS: readonly ScenarioId[] = [...INCIDENT_IDS, ...NEAR_MISS_IDS];

/** A planted scenario as documented: what, when, who, from where, and what should (not) fire. */
export interface PlantedScenario {
  id: ScenarioId;
  kind: 'incident' | 'near-miss';
  /** rule ids that should fire (incidents) or must stay quiet (near misses) */
  rules: readonly string[];
  fromMs: number;
  toMs: number;
  /** identity involved, or null */
  actor: string | null;
  /** client address involved, or null */
  clientIp: string | null;
  /** log the evidence is in */
  source: 'phab' | 'web' | 'ssh' | 'phd' | 'phab+web';
  description: string;
}

/** Fixed addresses of the planted outsiders (RFC 5737 documentation ranges: never real hosts). */
export const PLANTED_ADDRESSES = {
  newIpForToken: '192.0.2.147',
  scanner: '192.0.2.99',
  authFailureBurst: '198.51.100.201',
  bruteForce: '198.51.100.66',
  clusterTokenOutside: '198.51.100.140',
} as const;

/** Org-local windows of the scenarios that change other streams. */
export interface ScenarioWindows {
  chatBotSpike: TimeWindow | null;
  serverErrors: TimeWindow | null;
  ciWebhookOutage: TimeWindow | null;
  sshSilence: TimeWindow | null;
}

function windowAt(frame: DayFrame, from: string, to: string): TimeWindow {
  return { fromMs: orgTime(frame, from), toMs: orgTime(frame, to) };
}

export function scenarioWindows(frame: DayFrame, enabled: ReadonlySet<ScenarioId>): ScenarioWindows {
  return {
    chatBotSpike: enabled.has('token-rate-spike') ? windowAt(frame, '10:20', '10:50') : null,
    serverErrors: enabled.has('server-error-spike') ? windowAt(frame, '11:40', '11:50') : null,
    ciWebhookOutage: enabled.has('webhook-failure-spike') ? windowAt(frame, '14:05', '14:35') : null,
    sshSilence: enabled.has('log-silence') ? windowAt(frame, '15:05', '15:50') : null,
  };
}

function person(stage: Stage, username: string): Person {
  const found = stage.cast.peopleByName.get(username);
  if (found === undefined) throw new RangeError(`scenario needs ${username}, who is not in the cast`);
  return found;
}

function fakeToken(stage: Stage): Token {
  return { value: `api-${stage.rng.base32(28)}`, type: 'api', name: 'guessed', expiresAt: null, owner: '' };
}

/** Emits the traffic of every enabled scenario and returns their descriptions, in time order. */
export function plantScenarios(stage: Stage, frame: DayFrame, enabled: ReadonlySet<ScenarioId>): PlantedScenario[] {
  const planted: PlantedScenario[] = [];
  const windows = scenarioWindows(frame, enabled);
  for (const id of ALL_SCENARIOS) {
    if (enabled.has(id)) planted.push(PLANTERS[id](stage, frame, windows));
  }
  return planted.sort((a, b) => a.fromMs - b.fromMs);
}

type Planter = (stage: Stage, frame: DayFrame, windows: ScenarioWindows) => PlantedScenario;

const PLANTERS: Record<ScenarioId, Planter> = {
  'offhours-token-use': (stage, frame) => {
    // 16:34 in New York is 03:04 the next morning in Kolkata: off-hours only in priya's own zone.
    const priya = person(stage, 'priya');
    let t = orgTime(frame, '16:34:12');
    for (const gap of [0, 420000, 480000]) {
      t = scriptRun(stage, priya, t + gap, { calls: 5 });
    }
    return {
      id: 'offhours-token-use', kind: 'incident', rules: ['offhours-token-use'], fromMs: orgTime(frame, '16:34:12'),
      toMs: t, actor: 'priya', clientIp: priya.workIp, source: 'phab',
      description: "priya's api- token (POSTed, so inferred from the registry) calls Conduit 15 times at 03:04-03:20 " +
        'Asia/Kolkata, her own night; in New York it is mid-afternoon',
    };
  },

  'token-new-ip': (stage, frame) => {
    const dave = person(stage, 'dave');
    const from = orgTime(frame, '13:37:05');
    let t = scriptRun(stage, dave, from, { ip: PLANTED_ADDRESSES.newIpForToken, userAgent: 'python-requests/2.32.3', calls: 6 });
    t = scriptRun(stage, dave, t + 150000, { ip: PLANTED_ADDRESSES.newIpForToken, userAgent: 'python-requests/2.32.3', calls: 6 });
    return {
      id: 'token-new-ip', kind: 'incident', rules: ['token-new-ip'], fromMs: from, toMs: t, actor: 'dave',
      clientIp: PLANTED_ADDRESSES.newIpForToken, source: 'phab+web',
      description: "dave's api- token (sent as ?api.token=, so seen exactly in nginx) is used from an address " +
        'never seen before, with a different client',
    };
  },

  'token-rate-spike': (_stage, frame, windows) => ({
    id: 'token-rate-spike', kind: 'incident', rules: ['token-rate-spike'],
    fromMs: windows.chatBotSpike?.fromMs ?? orgTime(frame, '10:20'), toMs: windows.chatBotSpike?.toMs ?? orgTime(frame, '10:50'),
    actor: 'phabricator-bot', clientIp: '10.20.0.30', source: 'phab+web',
    description: 'the chat bot, normally one Conduit call a minute, runs away at about 11 calls a minute for 30 minutes',
  }),

  'conduit-auth-failure-burst': (stage, frame) => {
    const { rng } = stage;
    const client: Client = { ip: PLANTED_ADDRESSES.authFailureBurst, user: null, userAgent: 'python-requests/2.32.3', protocol: 'HTTP/1.1' };
    const revoked = stage.cast.tokens.find((tk) => tk.owner === 'kim' && tk.expiresAt !== null);
    const methods = ['user.whoami', 'differential.revision.search', 'maniphest.search', 'diffusion.repository.search', 'project.search'];
    const from = orgTime(frame, '14:22:10');
    let t = from;
    for (let i = 0; i < 80; i++) {
      const u = rng.next();
      const token = u < 0.1 && revoked !== undefined ? revoked : fakeToken(stage);
      const inQuery = u < 0.7;
      const call = conduitCall(stage, t, client, rng.pick(methods), {
        token, tokenInQuery: inQuery, loggedUser: null, httpMethod: inQuery ? 'GET' : 'POST',
      });
      stage.emit(call);
      t = call.endMs + 3500 + rng.int(4000);
    }
    return {
      id: 'conduit-auth-failure-burst', kind: 'incident', rules: ['conduit-auth-failure-burst'], fromMs: from, toMs: t,
      actor: null, clientIp: PLANTED_ADDRESSES.authFailureBurst, source: 'phab+web',
      description: "80 Conduit calls with made-up tokens and kim's revoked one: %u is -, %m set, HTTP 200 every time",
    };
  },

  'login-bruteforce': (stage, frame) => {
    const { rng, build } = stage;
    const ivan = person(stage, 'ivan');
    const from = orgTime(frame, '02:10:03');
    const userAgent = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
    let t = loginFlow(stage, ivan, from, {
      ip: PLANTED_ADDRESSES.bruteForce, userAgent, failures: 72, retryDelayMs: () => 6500 + rng.int(2000),
    });
    // Inside ivan's account the intruder goes looking for API tokens.
    const client: Client = { ip: PLANTED_ADDRESSES.bruteForce, user: ivan.username, userAgent, protocol: 'HTTP/2.0' };
    for (const [path, controller] of [
      [`/settings/user/${ivan.username}/page/apitokens/`, CONTROLLERS.settings],
      ['/conduit/token/', CONTROLLERS.conduitTokenList],
      [`/p/${ivan.username}/`, CONTROLLERS.profile],
    ] as const) {
      const page = build.phorge({ startMs: t + 4000 + rng.int(8000), client, path, controller,
        bytes: rng.logNormal(14000, 0.3), durationMs: rng.logNormal(150, 0.4) });
      stage.emit(page);
      t = page.endMs;
    }
    return {
      id: 'login-bruteforce', kind: 'incident', rules: ['login-bruteforce', 'login-after-bruteforce'], fromMs: from, toMs: t,
      actor: 'ivan', clientIp: PLANTED_ADDRESSES.bruteForce, source: 'phab+web',
      description: '72 password-login POSTs in about 9 minutes (nginx 200, ~5.9 kB: all rejected), then one accepted ' +
        '(nginx 302) and /auth/validate/ as ivan from the same address',
    };
  },

  'webhook-failure-spike': (_stage, frame, windows) => ({
    id: 'webhook-failure-spike', kind: 'incident', rules: ['webhook-failure-spike'],
    fromMs: windows.ciWebhookOutage?.fromMs ?? orgTime(frame, '14:05'), toMs: windows.ciWebhookOutage?.toMs ?? orgTime(frame, '14:35'),
    actor: null, clientIp: null, source: 'phd',
    description: 'the CI webhook https://ci.example.com/phorge/webhook answers 502 for 30 minutes: EXCEPTION lines ' +
      '"failed (http / 502). The request will be retried." up to the backoff bound of 10 in 5 minutes, then recovery',
  }),

  'scanner-burst': (stage, frame) => {
    const { rng, build } = stage;
    const paths = scannerPaths(stage, 180);
    const from = orgTime(frame, '04:12:00');
    const agents = ['Mozilla/5.0 zgrab/0.x', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.129 Safari/537.36'];
    let t = from;
    paths.forEach((path, i) => {
      // A shellshock probe carries quotes in its User-Agent, which nginx escapes as \x22.
      const userAgent = path === '/cgi-bin/test.cgi' ? '() { :; }; echo; /bin/bash -c "id"' : (agents[i % 2] as string);
      const client: Client = { ip: PLANTED_ADDRESSES.scanner, user: null, userAgent, protocol: 'HTTP/1.1' };
      const probe = build.phorge({ startMs: t, client, path, controller: CONTROLLERS.notFound, bytes: 5720 + rng.int(200),
        durationMs: rng.logNormal(20, 0.4) });
      stage.emit(probe);
      t = probe.endMs + 600 + rng.int(1200);
    });
    const client: Client = { ip: PLANTED_ADDRESSES.scanner, user: null, userAgent: null, protocol: 'HTTP/1.1' };
    stage.emit(build.webOnly({ startMs: t, client, path: '', rawRequestLine: TLS_CLIENT_HELLO, webStatus: 400, bytes: 157, durationMs: 1 }));
    stage.emit(build.webOnly({ startMs: t + 900, client: { ...client, userAgent: agents[0] as string }, path: '/index.php',
      query: 's=/Index/\\think\\app/invokefunction&function=call_user_func_array&vars[0]=md5&vars[1][]=HelloThinkPHP',
      webStatus: 500, bytes: 189, durationMs: 4 }));
    return {
      id: 'scanner-burst', kind: 'incident', rules: ['scanner-burst'], fromMs: from, toMs: t + 1000, actor: null,
      clientIp: PLANTED_ADDRESSES.scanner, source: 'phab+web',
      description: '180 distinct nonexistent paths (/.env, /wp-login.php, /phpmyadmin/, ...) in about 4 minutes: ' +
        'PhabricatorPlatform404Controller with status 200 (anonymous), plus TLS bytes and a direct /index.php hit in nginx only',
    };
  },

  'server-error-spike': (_stage, frame, windows) => ({
    id: 'server-error-spike', kind: 'incident', rules: ['server-error-spike'],
    fromMs: windows.serverErrors?.fromMs ?? orgTime(frame, '11:40'), toMs: windows.serverErrors?.toMs ?? orgTime(frame, '11:50'),
    actor: null, clientIp: null, source: 'phab+web',
    description: 'about a third of page requests fail with 500 for 10 minutes (normally 0.2%); some through the fatal ' +
      'path with %T -. Conduit calls keep answering 200',
  }),

  'bulk-repository-read': (stage, frame) => {
    const { rng } = stage;
    const erin = person(stage, 'erin');
    const from = orgTime(frame, '16:05:30');
    let t = from;
    for (const repository of REPOSITORIES.slice(0, 30)) {
      t = gitHttpClone(stage, erin, t, repository, erin.workIp, 'git/2.43.0') + 2000 + rng.int(6000);
    }
    return {
      id: 'bulk-repository-read', kind: 'incident', rules: ['bulk-repository-read'], fromMs: from, toMs: t, actor: 'erin',
      clientIp: erin.workIp, source: 'phab+web',
      description: 'erin clones 30 distinct repositories over HTTP (VCS password, nginx $remote_user erin) one after another',
    };
  },

  'cluster-token-outside-cluster': (stage, frame) => {
    const { rng } = stage;
    const bot = stage.cast.botsByName.get('cluster-sync');
    if (bot === undefined) throw new RangeError('scenario needs the cluster-sync bot');
    const client: Client = { ip: PLANTED_ADDRESSES.clusterTokenOutside, user: null, userAgent: 'curl/8.5.0', protocol: 'HTTP/1.1' };
    const from = orgTime(frame, '15:20:44');
    let t = from;
    for (const method of ['diffusion.querycommits', 'diffusion.branchquery', 'diffusion.resolverefs', 'diffusion.querycommits',
      'diffusion.filecontentquery', 'diffusion.rawdiffquery']) {
      const call = conduitCall(stage, t, client, method, { token: bot.token, tokenInQuery: true, loggedUser: null, httpMethod: 'GET' });
      stage.emit(call);
      t = call.endMs + 2000 + rng.int(9000);
    }
    return {
      id: 'cluster-token-outside-cluster', kind: 'incident', rules: ['cluster-token-outside-cluster'], fromMs: from, toMs: t,
      actor: 'cluster-sync', clientIp: PLANTED_ADDRESSES.clusterTokenOutside, source: 'phab+web',
      description: "the cluster-sync clr- token, in the query string, from outside 10.0.0.0/8: Phorge refuses it (%u -)",
    };
  },

  'admin-action': (stage, frame) => {
    const { rng, build } = stage;
    const grace = person(stage, 'grace');
    const target = stage.cast.people[stage.cast.people.length - 1] as Person;
    const client = sessionClient(grace, grace.homeIp);
    const steps: ReadonlyArray<readonly [string, string, string, number]> = [
      ['GET', '/config/', CONTROLLERS.configList, 200],
      ['GET', '/config/edit/policy.allow-public/', CONTROLLERS.configEdit, 200],
      ['POST', '/config/edit/policy.allow-public/', CONTROLLERS.configEdit, 302],
      ['GET', '/conduit/token/edit/', CONTROLLERS.conduitTokenEdit, 200],
      ['POST', '/conduit/token/edit/', CONTROLLERS.conduitTokenEdit, 200],
      ['GET', `/people/empower/${target.userId}/`, CONTROLLERS.peopleEmpower, 200],
      ['POST', `/people/empower/${target.userId}/`, CONTROLLERS.peopleEmpower, 302],
      ['GET', '/herald/webhook/view/2/', CONTROLLERS.webhookView, 200],
      ['GET', '/herald/webhook/key/view/2/', CONTROLLERS.webhookKey, 200],
    ];
    const from = orgTime(frame, '01:40:18');
    let t = from;
    for (const [method, path, controller, webStatus] of steps) {
      const page = build.phorge({ startMs: t, client, method, path, controller, webStatus,
        bytes: rng.logNormal(method === 'GET' ? 9000 : 3000, 0.4), durationMs: rng.logNormal(method === 'GET' ? 140 : 320, 0.4) });
      stage.emit(page);
      t = page.endMs + 15000 + rng.int(70000);
    }
    return {
      id: 'admin-action', kind: 'incident', rules: ['admin-action'], fromMs: from, toMs: t, actor: 'grace',
      clientIp: grace.homeIp, source: 'phab+web',
      description: `at night the admin edits policy.allow-public, creates an API token, empowers ${target.username} ` +
        `(/people/empower/${target.userId}/) and views webhook 2's HMAC key`,
    };
  },

  'log-silence': (_stage, frame, windows) => ({
    id: 'log-silence', kind: 'incident', rules: ['log-silence'],
    fromMs: windows.sshSilence?.fromMs ?? orgTime(frame, '15:05'), toMs: windows.sshSilence?.toMs ?? orgTime(frame, '15:50'),
    actor: null, clientIp: null, source: 'ssh',
    description: 'the SSH log stops for 45 minutes in the working day (CI alone normally writes every few minutes)',
  }),

  'late-in-own-zone': (stage, frame) => {
    // 08:10 in New York is 18:40 in Kolkata: late for neha, but inside 08:00-19:00 where she lives.
    const neha = person(stage, 'neha');
    const from = orgTime(frame, '08:10:05');
    const t = arcRun(stage, neha, from, ARC_WORKFLOWS[0]?.[0]);
    return {
      id: 'late-in-own-zone', kind: 'near-miss', rules: ['offhours-token-use'], fromMs: from, toMs: t, actor: 'neha',
      clientIp: neha.workIp, source: 'phab',
      description: 'neha (Asia/Kolkata) runs arc diff at 18:40 her time: late, but inside business hours in her zone',
    };
  },

  'evening-in-own-zone': (stage, frame) => {
    // 21:20 in New York is 18:20 in Los Angeles: outside New York's hours, inside sam's own.
    const sam = person(stage, 'sam');
    const from = orgTime(frame, '21:20:40');
    let t = arcRun(stage, sam, from, ARC_WORKFLOWS[0]?.[0]);
    t = scriptRun(stage, sam, t + 600000, { calls: 4 });
    return {
      id: 'evening-in-own-zone', kind: 'near-miss', rules: ['offhours-token-use'], fromMs: from, toMs: t, actor: 'sam',
      clientIp: sam.workIp, source: 'phab',
      description: 'sam (America/Los_Angeles) runs arc diff and his release-notes script at 18:20-18:40 his time, ' +
        'after 19:00 in New York',
    };
  },

  'bot-at-night': (_stage, frame) => ({
    id: 'bot-at-night', kind: 'near-miss', rules: ['offhours-token-use'], fromMs: orgTime(frame, '02:00'), toMs: orgTime(frame, '02:40'),
    actor: 'ci-bot', clientIp: null, source: 'phab',
    description: 'the nightly CI batch: 12 builds calling Conduit with ci-bot\'s token (a bot, exempt from off-hours)',
  }),

  'login-typos': (stage, frame) => {
    const olivia = person(stage, 'olivia');
    const ip = olivia.officeIp ?? olivia.homeIp;
    const from = orgTime(frame, '09:02:11');
    const t = loginFlow(stage, olivia, from, { ip, userAgent: olivia.browserUserAgent, failures: 5,
      retryDelayMs: () => 8000 + stage.rng.int(12000) });
    return {
      id: 'login-typos', kind: 'near-miss', rules: ['login-bruteforce', 'login-after-bruteforce'], fromMs: from, toMs: t,
      actor: 'olivia', clientIp: ip, source: 'phab+web',
      description: 'five rejected passwords, then the right one, from the office address',
    };
  },

  'few-404s': (stage, frame) => {
    const { rng, build } = stage;
    const bob = person(stage, 'bob');
    const client = sessionClient(bob, bob.officeIp ?? bob.homeIp);
    const from = orgTime(frame, '10:05:20');
    let t = from;
    for (let i = 0; i < 3; i++) {
      const spec = mistypedPage(rng);
      const page = build.phorge({ startMs: t, client, path: spec.path, controller: spec.controller, phorgeStatus: 404,
        bytes: spec.bytes, durationMs: spec.durationMs });
      stage.emit(page);
      t = page.endMs + 5000 + rng.int(20000);
    }
    const visitor: Client = { ip: stage.cast.addresses.nextVisitor(), user: null,
      userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
      protocol: 'HTTP/2.0' };
    for (const path of ['/apple-touch-icon-precomposed.png', '/apple-touch-icon.png', '/apple-touch-icon-120x120.png', '/apple-touch-icon-120x120-precomposed.png']) {
      const miss = build.phorge({ startMs: t, client: visitor, path, controller: CONTROLLERS.notFound, bytes: 5720 + rng.int(200),
        durationMs: rng.logNormal(20, 0.3) });
      stage.emit(miss);
      t = miss.endMs + 50;
    }
    return {
      id: 'few-404s', kind: 'near-miss', rules: ['scanner-burst'], fromMs: from, toMs: t, actor: 'bob', clientIp: null,
      source: 'phab+web',
      description: 'bob mistypes three URLs (404 while signed in) and a phone asks for four apple-touch-icon files (anonymous: 200)',
    };
  },

  'disabled-account-cron': (stage, frame) => ({
    id: 'disabled-account-cron', kind: 'near-miss', rules: ['conduit-auth-failure-burst'],
    fromMs: orgTime(frame, '09:17'), toMs: orgTime(frame, '17:18'), actor: 'mallory', clientIp: person(stage, 'mallory').homeIp,
    source: 'phab+web',
    description: "mallory's account is disabled; her export job still calls maniphest.search at :17 past each office " +
      'hour: one auth failure an hour, her token in the query string',
  }),

  'unauthenticated-ping': (_stage, frame) => ({
    id: 'unauthenticated-ping', kind: 'near-miss', rules: ['conduit-auth-failure-burst'],
    fromMs: frame.startMs, toMs: frame.endMs, actor: null, clientIp: '10.0.0.9', source: 'phab',
    description: 'uptime monitoring calls conduit.ping every 5 minutes: %u is - because the method needs no authentication',
  }),

  'webhook-single-timeouts': (_stage, frame) => ({
    id: 'webhook-single-timeouts', kind: 'near-miss', rules: ['webhook-failure-spike'],
    fromMs: orgTime(frame, '08:30'), toMs: orgTime(frame, '18:30'), actor: null, clientIp: null, source: 'phd',
    description: 'the chat webhook times out (timeout / 28) four times during the day, each retried successfully',
  }),
};

/** `count` distinct scanner paths: the well-known list, then the same under backup-ish prefixes. */
function scannerPaths(stage: Stage, count: number): string[] {
  const paths: string[] = [...SCANNER_PATHS];
  for (const prefix of ['/old', '/backup', '/new', '/test', '/dev']) {
    for (const path of SCANNER_PATHS) {
      if (paths.length >= count) break;
      if (path.startsWith('/.') || path.endsWith('.php') || path.endsWith('.sql') || path.endsWith('.zip')) paths.push(prefix + path);
    }
  }
  const unique = [...new Set(paths)].slice(0, count);
  if (unique.length < count) throw new RangeError(`only ${unique.length} distinct scanner paths, ${count} wanted`);
  // A scanner works through its word list in its own order.
  for (let i = unique.length - 1; i > 0; i--) {
    const j = stage.rng.int(i + 1);
    [unique[i], unique[j]] = [unique[j] as string, unique[i] as string];
  }
  return unique;
}
