// What an HTTP request was (kind), how it ended (outcome) and how it authenticated (auth), from what
// Phabricator/Phorge and webservers actually write (reference/phabricator-logs.md sections 1.4, 1.5, 4.5, 5.3
// and 9). Runs once per request line: fixed sets and precompiled patterns only.

import type { AuthKind, EventKind, Outcome, TokenType } from '../model/event.js';
import type { RequestRecord } from '../parsers/types.js';
import { repositoryOf } from './routes.js';

const CONDUIT_CONTROLLER = 'PhabricatorConduitAPIController';
const NOT_FOUND_CONTROLLER = 'PhabricatorPlatform404Controller';
const LOGIN_CONTROLLER = 'PhabricatorAuthLoginController';

/** Conduit methods that need no authentication: `%u` is `-` for them even with a valid token. */
const NO_AUTH_METHODS: ReadonlySet<string> = new Set([
  'conduit.connect', 'conduit.getcapabilities', 'conduit.getcertificate', 'conduit.ping',
]);

/** Second path segment under `/auth/` of the pages that log people in or out. */
const LOGIN_AUTH_PAGES: ReadonlySet<string> = new Set(['login', 'start', 'validate', 'finish', 'loggedout', 'mfa']);

/** Controllers that are about logging in, for formats that log `%C` but not the path. */
const LOGIN_CONTROLLERS: ReadonlySet<string> = new Set([
  'PhabricatorAuthStartController', LOGIN_CONTROLLER, 'PhabricatorAuthValidateController',
  'PhabricatorAuthFinishController', 'PhabricatorLogoutController', 'PhabricatorAuthOneTimeLoginController',
  'PhabricatorEmailLoginController', 'PhabricatorAuthNeedsMultiFactorController',
]);

// Password-checking login forms post to `/auth/login/<type>:<domain>/`; OAuth providers use the same route
// for a redirect to the provider and for its callback, which say nothing about a password.
const PASSWORD_LOGIN_PATH = /^\/auth\/login\/(?:password|ldap)(?::|%3A)[^/]*\/?$/i;

// Git smart HTTP endpoints, Git LFS, and clone URLs ending in `.git` (DiffusionServeController::isVCSRequest).
const VCS_PATH = /\/(?:info\/refs|git-upload-pack|git-receive-pack|info\/lfs)(?:\/|$)|\.git(?:\/|$)/;
const VCS_AGENT = /^(?:git|JGit|git-lfs|mercurial|SVN)\//i;
// `service=` (git info/refs) and `cmd=` (Mercurial wire protocol).
const VCS_QUERY = /(?:^|&)(?:service|cmd)=/;

export function requestKind(r: RequestRecord): EventKind {
  const path = r.path;
  if (r.controller === CONDUIT_CONTROLLER || (path !== null && path.startsWith('/api/') && path.length > 5)) {
    return 'conduit';
  }
  if (path !== null) {
    if (isVcsRequest(path, r.query, r.userAgent)) return 'vcs';
    if (isLoginPath(path)) return 'login';
  }
  return r.controller !== null && LOGIN_CONTROLLERS.has(r.controller) ? 'login' : 'http';
}

function isVcsRequest(path: string, query: string | null, userAgent: string | null): boolean {
  if (!(path.startsWith('/diffusion/') || path.startsWith('/source/'))) return false;
  if (repositoryOf(path, 'vcs') === null) return false;
  return VCS_PATH.test(path) || (userAgent !== null && VCS_AGENT.test(userAgent)) || (query !== null && VCS_QUERY.test(query));
}

function isLoginPath(path: string): boolean {
  if (path.startsWith('/auth/')) {
    const end = path.indexOf('/', 6);
    return LOGIN_AUTH_PAGES.has(end === -1 ? path.slice(6) : path.slice(6, end));
  }
  return path === '/login' || path.startsWith('/login/') || path === '/logout' || path.startsWith('/logout/');
}

/** A Conduit call on a method that needs authentication, with no user: the token was missing or bad. */
export function isConduitAuthFailure(r: RequestRecord, kind: EventKind): boolean {
  return kind === 'conduit' && r.conduitMethod !== null && r.user === null && !NO_AUTH_METHODS.has(r.conduitMethod);
}

export function requestOutcome(r: RequestRecord, kind: EventKind): Outcome {
  const status = r.status;
  if (isConduitAuthFailure(r, kind)) return 'auth_failure';
  // Phorge answers anonymous requests for unknown paths with the login page, logged as 200.
  if (r.controller === NOT_FOUND_CONTROLLER || status === 404) return 'not_found';
  if (isPasswordLoginPost(r)) {
    // Phorge logs a failed and a successful password login alike (200, no user); a webserver sees the
    // redirect that follows success and the form (or the "Slow Down!" page) shown again on failure.
    if (r.family === 'app' && (status === 200 || status === null)) return 'login_attempt';
    if (r.family === 'web' && (status === 302 || status === 303)) return 'login_success';
    if (r.family === 'web' && status === 200) return 'login_failure';
  }
  // After a successful login the browser lands on /auth/validate/, the first request carrying the user.
  if (r.user !== null && (status === null || status < 400) && isValidatePath(r.path)) return 'login_success';
  return outcomeOfStatus(status);
}

function isPasswordLoginPost(r: RequestRecord): boolean {
  if (r.path === null || !PASSWORD_LOGIN_PATH.test(r.path)) return false;
  if (r.controller !== null && r.controller !== LOGIN_CONTROLLER) return false;
  // Phabricator's default format has no %M: an unknown method counts as the form's POST.
  return r.method === null || r.method === 'POST';
}

function isValidatePath(path: string | null): boolean {
  return path === '/auth/validate/' || path === '/auth/validate';
}

export function outcomeOfStatus(status: number | null): Outcome {
  if (status === null || status < 400) return 'ok';
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'denied';
  return status < 500 ? 'client_error' : 'server_error';
}

export function requestAuth(r: RequestRecord, kind: EventKind, outcome: Outcome, tokenSeen: boolean): AuthKind {
  switch (kind) {
    case 'conduit':
      if (outcome === 'auth_failure') return 'failed';
      return r.user !== null || tokenSeen ? 'token' : 'none';
    case 'vcs':
      // Phorge fills %u only for valid credentials, so a 403 with a user there is a policy denial; a
      // webserver's remote user is whatever name the client sent, valid or not.
      if ((r.status === 401 || r.status === 403) && (r.user === null || r.family === 'web')) return 'failed';
      return r.user !== null ? 'vcs' : 'none';
    default:
      return r.user !== null ? 'session' : 'none';
  }
}

/** The token type a client is known to use: arc authenticates with `cli-` tokens. Null when unknown. */
export function tokenTypeInUse(userAgent: string | null): TokenType | null {
  return userAgent !== null && userAgent.startsWith('Arcanist/') ? 'cli' : null;
}
