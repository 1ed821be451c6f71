// The things people and anonymous visitors do, each turned into the requests it causes: a browsing
// session, an arc command, a script run, a git clone over HTTP or SSH, a password login. Planted
// scenarios reuse the same builders so their lines look exactly like ordinary traffic.

import {
  ARC_USER_AGENT, ARC_WORKFLOWS, BUSY_REPOSITORIES, type ArcWorkflow, BROWSER_USER_AGENTS, CONTROLLERS, CRAWLER_USER_AGENTS,
  EXTERNAL_DOMAINS, type Repository, STATIC_RESOURCES, UNAUTHENTICATED_CONDUIT_METHODS,
} from './catalog.js';
import type { Happening, HttpHappening } from './happenings.js';
import { drawPage, mistypedPage, revisionId, taskId } from './pages.js';
import type { Cast, Person, PersonalScript, Token } from './population.js';
import { type Prng, WeightedTable } from './prng.js';
import type { Client, RequestBuilder } from './request-builder.js';

/** What every activity needs: randomness, the request builder, the cast, and where to put requests. */
export interface Stage {
  rng: Prng;
  build: RequestBuilder;
  cast: Cast;
  emit(happening: Happening): void;
}

const ARC_TABLE = new WeightedTable<ArcWorkflow>(ARC_WORKFLOWS);
const EXTERNAL_REFERRERS = [EXTERNAL_DOMAINS.chat, EXTERNAL_DOMAINS.mail, EXTERNAL_DOMAINS.wiki];
const LOGIN_PAGE_BYTES = 5720;
const LOGIN_FAILURE_BYTES = 5900;

export function sessionClient(person: Person, ip: string): Client {
  return { ip, user: person.username, userAgent: person.browserUserAgent, protocol: 'HTTP/2.0' };
}

/** Static files a page pulls in right after it loads; nginx serves them, Phorge never sees them. */
function emitStaticResources(stage: Stage, page: HttpHappening, client: Client, count: number): void {
  const { rng } = stage;
  let t = page.endMs + 3;
  // Distinct files: start somewhere in the list and take the next ones.
  const first = rng.int(STATIC_RESOURCES.length);
  for (let i = 0; i < Math.min(count, STATIC_RESOURCES.length); i++) {
    const [path, bytes] = STATIC_RESOURCES[(first + i) % STATIC_RESOURCES.length] as readonly [string, number];
    const fresh = rng.chance(0.8);
    stage.emit(stage.build.webOnly({
      startMs: t, client, path, webStatus: fresh ? 200 : 304, bytes: fresh ? bytes : 0, durationMs: 1 + rng.int(20),
    }));
    t += rng.int(40);
  }
}

export interface BrowseOptions {
  ip: string;
  /** a quick look (evening, night): a few pages, no comments */
  short: boolean;
}

/** A signed-in browser session: pages spaced by reading time, static files, the odd comment or typo. */
export function browseSession(stage: Stage, person: Person, startMs: number, options: BrowseOptions): void {
  const { rng, build } = stage;
  const client = sessionClient(person, options.ip);
  const pages = options.short ? 1 + rng.int(3) : Math.min(40, 2 + Math.floor(rng.exponential(7)));
  let t = startMs;
  for (let i = 0; i < pages; i++) {
    const mistyped = rng.chance(0.004);
    const spec = mistyped ? mistypedPage(rng) : drawPage(rng, stage.cast);
    const page = build.phorge({
      startMs: t, client, method: spec.method, path: spec.path, query: spec.query, controller: spec.controller,
      referrer: i === 0 && rng.chance(0.12) ? rng.pick(EXTERNAL_REFERRERS) : null,
      phorgeStatus: mistyped ? 404 : 200, bytes: spec.bytes, durationMs: spec.durationMs, canFail: true,
    });
    stage.emit(page);
    // Celerity resource URLs carry a content hash and are cached for good: browsers fetch them after a
    // deploy or on a cold cache, not on every page.
    emitStaticResources(stage, page, client, i === 0 ? (rng.chance(0.3) ? 1 + rng.int(4) : 0) : rng.chance(0.02) ? 1 : 0);
    t = page.endMs;
    if (!options.short && spec.commentable !== null && rng.chance(0.07)) {
      t = postComment(stage, client, t + rng.logNormal(40000, 0.6), spec.commentable);
    }
    t += Math.min(600000, rng.logNormal(30000, 0.9));
  }
  if (!options.short && rng.chance(0.01)) {
    stage.emit(build.phorge({
      startMs: t, client, method: 'POST', path: '/logout/', controller: CONTROLLERS.logout, webStatus: 302,
      bytes: 5, durationMs: rng.logNormal(40, 0.3),
    }));
  }
}

/** A comment form post: Phorge logs 200, nginx the 302 back to the object, which is then shown again. */
function postComment(stage: Stage, client: Client, startMs: number, on: { kind: 'revision' | 'task'; id: number }): number {
  const { rng, build } = stage;
  const isRevision = on.kind === 'revision';
  const post = build.phorge({
    startMs, client, method: 'POST',
    path: isRevision ? `/differential/revision/edit/${on.id}/comment/` : `/maniphest/task/edit/${on.id}/comment/`,
    controller: isRevision ? CONTROLLERS.revisionEdit : CONTROLLERS.taskEdit,
    webStatus: 302, bytes: 5, durationMs: rng.logNormal(450, 0.4),
  });
  stage.emit(post);
  const back = build.phorge({
    startMs: post.endMs + 20 + rng.int(100), client, path: isRevision ? `/D${on.id}` : `/T${on.id}`,
    controller: isRevision ? CONTROLLERS.revision : CONTROLLERS.task,
    bytes: rng.logNormal(isRevision ? 42000 : 18000, 0.5), durationMs: rng.logNormal(isRevision ? 350 : 180, 0.5),
    canFail: true,
  });
  stage.emit(back);
  return back.endMs;
}

export interface ConduitCallOptions {
  token: Token | null;
  tokenInQuery: boolean;
  /** %u as Phorge logs it: the token owner, or null when authentication failed */
  loggedUser: string | null;
  httpMethod?: 'GET' | 'POST';
  /** Phorge's %m is `-` for unknown methods */
  unknownMethod?: boolean;
  bytes?: number;
  durationMs?: number;
}

/** One Conduit call. Every outcome is HTTP 200, errors included; the token shows only if in the query string. */
export function conduitCall(stage: Stage, startMs: number, client: Client, method: string, options: ConduitCallOptions): HttpHappening {
  const { rng } = stage;
  const noAuth = UNAUTHENTICATED_CONDUIT_METHODS.includes(method);
  const failedAuth = options.loggedUser === null && !noAuth;
  const query = options.tokenInQuery && options.token !== null ? `api.token=${options.token.value}` : null;
  return stage.build.phorge({
    startMs, client, method: options.httpMethod ?? 'POST', path: `/api/${method}`, query,
    controller: CONTROLLERS.conduitApi, conduitMethod: options.unknownMethod === true ? null : method,
    loggedUser: noAuth ? null : options.loggedUser,
    bytes: options.bytes ?? (failedAuth ? 110 + rng.int(40) : rng.logNormal(1800, 1.0)),
    durationMs: options.durationMs ?? (failedAuth ? rng.logNormal(28, 0.3) : rng.logNormal(90, 0.7)),
  });
}

/** An arc command: its Conduit calls with the person's cli- token in the POST body, then maybe a push. */
export function arcRun(stage: Stage, person: Person, startMs: number, workflow: ArcWorkflow = ARC_TABLE.draw(stage.rng)): number {
  const { rng } = stage;
  const client: Client = { ip: person.workIp, user: person.username, userAgent: ARC_USER_AGENT, protocol: 'HTTP/1.1' };
  let t = startMs;
  for (const method of workflow.calls) {
    const call = conduitCall(stage, t, client, method, { token: person.arcToken, tokenInQuery: false, loggedUser: person.username });
    stage.emit(call);
    t = call.endMs + 20 + rng.int(300);
    // `arc diff` stops in the editor for the commit message.
    if (method === 'differential.creatediff') t += rng.logNormal(25000, 0.6);
  }
  if (workflow.pushes) {
    const repository = rng.pick(BUSY_REPOSITORIES);
    t = sshGit(stage, { user: person.username, ip: person.workIp }, t + 500 + rng.int(2500), repository, 'push');
  }
  return t;
}

export interface ScriptRunOptions {
  ip?: string;
  userAgent?: string;
  calls?: number;
  /** the token Phorge accepted? false when the account is disabled or the token was revoked */
  authenticates?: boolean;
  methods?: readonly string[];
}

/** A person's script: a few Conduit calls with an api- token, POSTed or (for lazy scripts) in the query string. */
export function scriptRun(stage: Stage, person: Person, startMs: number, options: ScriptRunOptions = {}): number {
  const { rng } = stage;
  const script = person.script;
  if (script === null) throw new RangeError(`${person.username} has no script to run`);
  const client: Client = {
    ip: options.ip ?? person.workIp, user: person.username, userAgent: options.userAgent ?? script.userAgent,
    protocol: 'HTTP/1.1',
  };
  const authenticates = options.authenticates ?? !person.isDisabled;
  const methods = options.methods ?? script.methods;
  const calls = options.calls ?? 1 + rng.int(6);
  let t = startMs;
  for (let i = 0; i < calls; i++) {
    const method = rng.pick(methods);
    const call = conduitCall(stage, t, client, method, {
      token: nextScriptToken(script), tokenInQuery: script.tokenInQuery,
      loggedUser: authenticates ? person.username : null,
      httpMethod: script.tokenInQuery && method !== 'maniphest.edit' && rng.chance(0.7) ? 'GET' : 'POST',
    });
    stage.emit(call);
    t = call.endMs + 100 + rng.int(1900);
  }
  return t;
}

/** Scripts holding several tokens use them in turn, so a big registry shows up in the traffic. */
function nextScriptToken(script: PersonalScript): Token {
  const token = script.tokens[script.tokenCursor % script.tokens.length] as Token;
  script.tokenCursor++;
  return token;
}

/** Clone or fetch over HTTP: git's unauthenticated probe (401), the retry with the VCS password, the pack. */
export function gitHttpClone(
  stage: Stage, person: Person, startMs: number, repository: Repository, ip: string, userAgent: string,
): number {
  const { rng, build } = stage;
  const client: Client = { ip, user: person.username, userAgent, protocol: 'HTTP/1.1' };
  const base = `/source/${repository.shortName}.git`;
  const probe = build.phorge({
    startMs, client, path: `${base}/info/refs`, query: 'service=git-upload-pack',
    controller: CONTROLLERS.repositoryDefault, loggedUser: null, phorgeStatus: 401, bytes: 62,
    durationMs: rng.logNormal(30, 0.3),
  });
  stage.emit(probe);
  const refs = build.phorge({
    startMs: probe.endMs + 5 + rng.int(30), client, path: `${base}/info/refs`, query: 'service=git-upload-pack',
    controller: CONTROLLERS.repositoryDefault, remoteUser: person.username, bytes: rng.logNormal(2500, 0.8),
    durationMs: rng.logNormal(150, 0.4),
  });
  stage.emit(refs);
  const pack = build.phorge({
    startMs: refs.endMs + 10 + rng.int(50), client, method: 'POST', path: `${base}/git-upload-pack`,
    controller: CONTROLLERS.repositoryDefault, remoteUser: person.username, bytes: rng.logNormal(2500000, 1.2),
    durationMs: rng.logNormal(2500, 0.9),
  });
  stage.emit(pack);
  return pack.endMs;
}

/** A git operation over SSH, written to Phabricator's SSH log. Returns its end time. */
export function sshGit(
  stage: Stage, who: { user: string; ip: string }, startMs: number, repository: Repository,
  direction: 'fetch' | 'push', failed = false,
): number {
  const { rng } = stage;
  const workflow = direction === 'fetch' ? 'git-upload-pack' : 'git-receive-pack';
  const target = repository.callsign !== null && rng.chance(0.4)
    ? `/diffusion/${repository.callsign}/`
    : `/source/${repository.shortName}.git`;
  const session = stage.build.ssh({
    startMs, clientIp: who.ip, user: who.user, workflow, command: `${workflow} '${target}'`, failed,
    durationMs: failed ? rng.logNormal(180, 0.3) : direction === 'fetch' ? rng.logNormal(1500, 0.8) : rng.logNormal(3500, 0.6),
    bytesIn: failed ? null : direction === 'fetch' ? Math.round(rng.logNormal(1500, 0.6)) : Math.round(rng.logNormal(40000, 1.5)),
    bytesOut: failed ? null : direction === 'fetch' ? Math.round(rng.logNormal(800000, 1.5)) : 300 + rng.int(1700),
  });
  stage.emit(session);
  return session.endMs;
}

export interface LoginOptions {
  ip: string;
  userAgent: string;
  failures: number;
  /** seconds between attempts */
  retryDelayMs?: () => number;
}

/**
 * A password login: the login page, `failures` rejected POSTs (nginx 200, ~5.9 kB), the accepted POST
 * (nginx 302, 5 bytes), then /auth/validate/ and /auth/finish/, the first lines that carry the user.
 */
export function loginFlow(stage: Stage, person: Person, startMs: number, options: LoginOptions): number {
  const { rng, build } = stage;
  const client: Client = { ip: options.ip, user: person.username, userAgent: options.userAgent, protocol: 'HTTP/2.0' };
  const start = build.phorge({
    startMs, client, path: '/auth/start/', controller: CONTROLLERS.authStart, loggedUser: null,
    bytes: LOGIN_PAGE_BYTES + rng.int(60), durationMs: rng.logNormal(60, 0.3),
  });
  stage.emit(start);
  let t = start.endMs + (options.retryDelayMs?.() ?? 4000 + rng.int(9000));
  for (let i = 0; i < options.failures; i++) {
    const attempt = build.phorge({
      startMs: t, client, method: 'POST', path: '/auth/login/password:self/', controller: CONTROLLERS.authLogin,
      loggedUser: null, bytes: LOGIN_FAILURE_BYTES + rng.int(90), durationMs: rng.logNormal(130, 0.15),
    });
    stage.emit(attempt);
    t = attempt.endMs + (options.retryDelayMs?.() ?? 4000 + rng.int(20000));
  }
  const accepted = build.phorge({
    startMs: t, client, method: 'POST', path: '/auth/login/password:self/', controller: CONTROLLERS.authLogin,
    loggedUser: null, webStatus: 302, bytes: 5, durationMs: rng.logNormal(135, 0.15),
  });
  stage.emit(accepted);
  const validate = build.phorge({
    startMs: accepted.endMs + 30 + rng.int(80), client, path: '/auth/validate/', query: `expect=${person.username}`,
    controller: CONTROLLERS.authValidate, webStatus: 302, bytes: 5, durationMs: rng.logNormal(12, 0.3),
  });
  stage.emit(validate);
  const finish = build.phorge({
    startMs: validate.endMs + 20 + rng.int(60), client, path: '/auth/finish/', controller: CONTROLLERS.authFinish,
    webStatus: 302, bytes: 5, durationMs: rng.logNormal(17, 0.3),
  });
  stage.emit(finish);
  const home = build.phorge({
    startMs: finish.endMs + 20 + rng.int(60), client, path: '/', controller: CONTROLLERS.home,
    bytes: rng.logNormal(21000, 0.3), durationMs: rng.logNormal(220, 0.5), canFail: true,
  });
  stage.emit(home);
  emitStaticResources(stage, home, client, rng.int(3));
  return home.endMs;
}

const ANONYMOUS_MISSES = ['/apple-touch-icon.png', '/apple-touch-icon-precomposed.png', '/ads.txt', '/.well-known/change-password'];

/** Someone not signed in: the login wall (logged 200 under the page's own controller), robots.txt, a miss. */
export function anonymousVisit(stage: Stage, startMs: number): void {
  const { rng, build } = stage;
  const crawler = rng.chance(0.25);
  const client: Client = {
    ip: stage.cast.addresses.nextVisitor(), user: null,
    userAgent: crawler ? rng.pick(CRAWLER_USER_AGENTS) : rng.pick(BROWSER_USER_AGENTS),
    protocol: crawler ? 'HTTP/1.1' : 'HTTP/2.0',
  };
  const wall = (): number => LOGIN_PAGE_BYTES + rng.int(200);
  const u = rng.next();
  let first: HttpHappening;
  if (u < 0.4) {
    first = build.phorge({ startMs, client, path: '/', controller: CONTROLLERS.home, bytes: wall(),
      durationMs: rng.logNormal(70, 0.4), canFail: true });
  } else if (u < 0.65) {
    const revision = rng.chance(0.6);
    first = build.phorge({
      startMs, client, path: revision ? `/D${revisionId(rng)}` : `/T${taskId(rng)}`,
      controller: revision ? CONTROLLERS.revision : CONTROLLERS.task, referrer: rng.pick(EXTERNAL_REFERRERS),
      bytes: wall(), durationMs: rng.logNormal(70, 0.4), canFail: true,
    });
  } else if (u < 0.75 && crawler) {
    first = build.phorge({ startMs, client, path: '/robots.txt', controller: CONTROLLERS.robots, bytes: 110,
      durationMs: rng.logNormal(8, 0.3) });
  } else if (u < 0.85) {
    // Anonymous visitors get the login page for paths that do not exist: logged 200, not 404.
    first = build.phorge({ startMs, client, path: rng.pick(ANONYMOUS_MISSES), controller: CONTROLLERS.notFound,
      bytes: wall(), durationMs: rng.logNormal(20, 0.4) });
  } else {
    first = build.phorge({ startMs, client, path: '/auth/start/', controller: CONTROLLERS.authStart, bytes: wall(),
      durationMs: rng.logNormal(60, 0.3) });
  }
  stage.emit(first);
  if (!crawler && first.controller !== CONTROLLERS.robots) emitStaticResources(stage, first, client, 1 + rng.int(3));
}
