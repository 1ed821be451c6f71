// Routes: request paths with object ids folded away (`/D123` -> `/D{id}`), so analysts and rules can group
// requests by what was asked for, not by which object; plus the repository a request touches and a
// low-cardinality class for metric labels. Route shapes follow Phorge's application route tables
// (PhabricatorDiffusionApplication, PhabricatorFilesApplication, PhabricatorAuthApplication, ...).

import type { EventKind } from '../model/event.js';

export type RouteClass =
  | 'conduit'
  | 'auth'
  | 'diffusion'
  | 'vcs'
  | 'differential'
  | 'maniphest'
  | 'files'
  | 'static'
  | 'admin'
  | 'people'
  | 'settings'
  | 'herald'
  | 'search'
  | 'home'
  | 'not_found'
  | 'other';

// `/diffusion/<x>/` where <x> is one of these is a Diffusion page, not a repository.
const DIFFUSION_SUBROUTES = new Set([
  'query', 'edit', 'pushlog', 'synclog', 'pulllog', 'identity', 'inline', 'services', 'symbol', 'external',
  'lint', 'commit', 'picture',
]);

// Repository pages whose tail is a "dblob": `<ref>/<path>;<commit>$<line>`.
const DBLOB_ACTIONS = new Set([
  'repository', 'change', 'history', 'browse', 'document', 'blame', 'lastmodified', 'tags', 'branches', 'refs',
  'lint', 'pathtree',
]);

const MONOGRAM = /^([A-Z])[1-9]\d*$/;
const COMMIT_BY_CALLSIGN = /^r([A-Z]+)([a-f0-9]+)$/;
const COMMIT_BY_ID = /^R([1-9]\d*):([a-f0-9]+)$/;
const NUMERIC = /^\d+$/;
const HEX_HASH = /^[0-9a-f]{7,}$/;
const HAS_DIGIT = /\d/;
// Phabricator's random keys (file keys, registration keys, ...) are lowercase base32.
const RANDOM_KEY = /^[a-z2-7]{16,}$/;
const BUILTIN_QUERY_KEY = /^[a-z]+$/;
const TOKEN_MASK = /^\[(?:api|cli|clr)-/;
const SECRET_MASK = '[masked]';

/** Folds object ids, names and secrets out of a request path. The query string must already be gone. */
export function foldRoute(path: string): string {
  const fragment = path.indexOf('#');
  const bare = fragment === -1 ? path : path.slice(0, fragment);
  // Conduit routes are `/api/<method>`; the method name is what rules group by.
  if (bare.startsWith('/api/')) return bare;
  const segments = bare.split('/');
  if (segments.length < 2) return bare;
  foldApplicationSegments(segments);
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.length === 0 || segment.charCodeAt(0) === 123 /* '{' */) continue;
    segments[i] = foldGenericSegment(segment, segments[i - 1]!);
  }
  return segments.join('/');
}

/** Application-specific shapes; marks what it folded with `{...}` so the generic pass leaves it alone. */
function foldApplicationSegments(segments: string[]): void {
  const first = segments[1]!;
  switch (first) {
    case 'diffusion':
      if (segments.length > 2 && segments[2] !== '' && !DIFFUSION_SUBROUTES.has(segments[2]!)) {
        foldRepositoryTail(segments);
      }
      return;
    case 'source':
      if (segments.length > 2 && segments[2] !== '') foldRepositoryTail(segments);
      return;
    case 'p':
      foldAt(segments, 2, '{user}');
      return;
    case 'settings':
      if (segments[2] === 'user') foldAt(segments, 3, '{user}');
      return;
    case 'tag':
      foldAt(segments, 2, '{project}');
      return;
    case 'file':
      foldFileSegments(segments);
      return;
    case 'login':
      if (segments[2] === 'once') {
        foldAt(segments, 3, '{type}');
        foldAt(segments, 4, '{id}');
        foldAt(segments, 5, '{key}');
      }
      return;
    case 'res':
      // Static resources: a package hash and a file name, all noise for grouping.
      collapseFrom(segments, 2, '{path}');
      return;
    case 'w':
      // Phriction documents: the rest of the path is the document's slug.
      collapseFrom(segments, 2, '{path}');
      return;
    default:
      foldObjectMonogram(segments);
  }
}

function foldRepositoryTail(segments: string[]): void {
  segments[2] = '{repo}';
  let i = 3;
  // Git clones may name the repository again: `/diffusion/X/anything.git/info/refs`.
  if (i < segments.length && segments[i]!.endsWith('.git')) {
    segments[i] = '{name}.git';
    i++;
  }
  const action = segments[i];
  if (action === undefined || !DBLOB_ACTIONS.has(action)) return;
  if (foldAt(segments, i + 1, '{ref}')) collapseFrom(segments, i + 2, '{path}');
}

function foldFileSegments(segments: string[]): void {
  const action = segments[2];
  let i = 3;
  if (i < segments.length && segments[i]!.startsWith('@')) segments[i++] = '{instance}';
  if (action === 'data' || action === 'download') {
    // `/file/data/<key>/<phid>/<name>`
    if (foldAt(segments, i, '{key}') && foldAt(segments, i + 1, '{phid}')) collapseFrom(segments, i + 2, '{name}');
  } else if (action === 'xform') {
    // `/file/xform/<transform>/<phid>/<key>/`
    foldAt(segments, i + 1, '{phid}');
    foldAt(segments, i + 2, '{key}');
  }
}

function foldObjectMonogram(segments: string[]): void {
  const first = segments[1]!;
  const monogram = MONOGRAM.exec(first);
  if (monogram) {
    segments[1] = `${monogram[1]}{id}`;
    return;
  }
  if (COMMIT_BY_CALLSIGN.test(first)) segments[1] = 'r{repo}{commit}';
  else if (COMMIT_BY_ID.test(first)) segments[1] = 'R{repo}:{commit}';
}

function foldGenericSegment(segment: string, previous: string): string {
  if (NUMERIC.test(segment)) return '{id}';
  if (segment.startsWith('PHID-')) return '{phid}';
  if (HEX_HASH.test(segment) && HAS_DIGIT.test(segment)) return '{hash}';
  if (RANDOM_KEY.test(segment) && HAS_DIGIT.test(segment)) return '{key}';
  if (segment === SECRET_MASK) return '{key}';
  if (TOKEN_MASK.test(segment)) return '{token}';
  // Saved queries have random keys; built-in ones (`all`, `open`, `authored`) are words worth keeping.
  if (previous === 'query' && !BUILTIN_QUERY_KEY.test(segment)) return '{query}';
  return segment;
}

/** Replaces segment i when it exists and is not empty; true when it did. */
function foldAt(segments: string[], i: number, placeholder: string): boolean {
  if (i >= segments.length || segments[i] === '') return false;
  segments[i] = placeholder;
  return true;
}

/** Replaces everything from segment i on with one placeholder, when anything is there. */
function collapseFrom(segments: string[], i: number, placeholder: string): void {
  if (i >= segments.length) return;
  for (let j = i; j < segments.length; j++) {
    if (segments[j] !== '') {
      segments.length = i;
      segments.push(placeholder);
      return;
    }
  }
}

const SERVICE_PATH = /^\/?(?:diffusion|source)\/([^/\s'"]+)/;
const COMMAND_SERVICE_PATH = /(?:^|[\s'"=])(\/?(?:diffusion|source)\/[^\s'"]*)/;

function stripGitSuffix(identifier: string): string {
  return identifier.endsWith('.git') ? identifier.slice(0, -4) : identifier;
}

/**
 * The repository (callsign, short name or id, as the request names it) a request or SSH command reads or
 * writes, or null. For `ssh` events `path` is the command (`git-upload-pack '/diffusion/P/'`).
 */
export function repositoryOf(path: string | null, kind: EventKind): string | null {
  if (path === null || kind === 'daemon' || kind === 'webhook') return null;
  if (kind === 'ssh') {
    const arg = COMMAND_SERVICE_PATH.exec(path);
    if (!arg) return null;
    const service = SERVICE_PATH.exec(arg[1]!);
    return service ? nonEmpty(stripGitSuffix(service[1]!)) : null;
  }
  const service = SERVICE_PATH.exec(path);
  if (service && path.charCodeAt(0) === 47 /* '/' */) {
    const identifier = service[1]!;
    if (path.startsWith('/diffusion/') && DIFFUSION_SUBROUTES.has(identifier)) return null;
    return nonEmpty(stripGitSuffix(identifier));
  }
  const slash = path.indexOf('/', 1);
  const first = slash === -1 ? path.slice(1) : path.slice(1, slash);
  const byCallsign = COMMIT_BY_CALLSIGN.exec(first);
  if (byCallsign) return byCallsign[1]!;
  const byId = COMMIT_BY_ID.exec(first);
  return byId ? byId[1]! : null;
}

function nonEmpty(value: string): string | null {
  return value.length > 0 ? value : null;
}

const VCS_WORKFLOWS = new Set([
  'git-upload-pack', 'git-receive-pack', 'git-upload-archive', 'git-lfs-authenticate', 'hg', 'svnserve',
]);
const CONDUIT_METHOD = /^[A-Za-z0-9_.]+$/;
const WHITESPACE = /\s+/;

/**
 * The route of an SSH session: the workflow, plus the folded repository path for VCS workflows and the
 * method for `conduit`. Other commands (`bash -i`, anything a user typed) are reduced to their first word.
 */
export function foldSshCommand(command: string | null, workflow: string | null): string | null {
  const words = command === null ? [] : command.trim().split(WHITESPACE, 2);
  const name = workflow ?? (words[0] || null);
  if (name === null) return null;
  if (VCS_WORKFLOWS.has(name) && command !== null) {
    const arg = COMMAND_SERVICE_PATH.exec(command);
    if (!arg) return name;
    const path = arg[1]!;
    return `${name} ${foldRoute(path.charCodeAt(0) === 47 ? path : `/${path}`)}`;
  }
  if (name === 'conduit' && words.length > 1 && CONDUIT_METHOD.test(words[1]!)) return `conduit ${words[1]}`;
  return name;
}

const VCS_ROUTE = /\/(?:info\/refs|git-upload-pack|git-receive-pack|info\/lfs)(?:\/|$)|\.git(?:\/|$)/;
const ADMIN_PEOPLE_ACTIONS = new Set([
  'disable', 'disapprove', 'approve', 'empower', 'delete', 'rename', 'create', 'new', 'welcome',
]);

const CLASS_BY_FIRST_SEGMENT: ReadonlyMap<string, RouteClass> = new Map<string, RouteClass>([
  ['api', 'conduit'], ['conduit', 'conduit'],
  ['auth', 'auth'], ['login', 'auth'], ['logout', 'auth'], ['emailverify', 'auth'], ['oauthserver', 'auth'],
  ['diffusion', 'diffusion'], ['source', 'diffusion'],
  ['differential', 'differential'], ['D{id}', 'differential'],
  ['maniphest', 'maniphest'], ['T{id}', 'maniphest'],
  ['file', 'files'], ['F{id}', 'files'],
  ['res', 'static'], ['favicon.ico', 'static'], ['robots.txt', 'static'],
  ['config', 'admin'], ['applications', 'admin'], ['daemon', 'admin'],
  ['p', 'people'], ['people', 'people'],
  ['settings', 'settings'],
  ['herald', 'herald'], ['H{id}', 'herald'],
  ['search', 'search'], ['typeahead', 'search'],
  ['', 'home'], ['home', 'home'],
]);

/**
 * A class for metric labels (a dozen values). `route` is a folded route; `kind`, when given, lets SSH
 * sessions and VCS requests be told apart from page views of the same repository.
 */
export function routeClass(route: string | null, controller: string | null, kind?: EventKind): RouteClass {
  if (controller === 'PhabricatorPlatform404Controller') return 'not_found';
  if (kind === 'vcs') return 'vcs';
  if (kind === 'ssh') {
    const workflow = route === null ? '' : route.split(' ', 1)[0]!;
    if (VCS_WORKFLOWS.has(workflow)) return 'vcs';
    return workflow === 'conduit' ? 'conduit' : 'other';
  }
  if (route === null || route.charCodeAt(0) !== 47 /* '/' */) return 'other';
  const slash = route.indexOf('/', 1);
  const first = slash === -1 ? route.slice(1) : route.slice(1, slash);
  const secondEnd = slash === -1 ? -1 : route.indexOf('/', slash + 1);
  const second = slash === -1 ? '' : secondEnd === -1 ? route.slice(slash + 1) : route.slice(slash + 1, secondEnd);
  if (first === 'auth' && second === 'config') return 'admin';
  if (first === 'people' && ADMIN_PEOPLE_ACTIONS.has(second)) return 'admin';
  if (first.startsWith('r{repo}') || first.startsWith('R{repo}')) return 'diffusion';
  const byFirst = CLASS_BY_FIRST_SEGMENT.get(first);
  if (byFirst === 'diffusion' && VCS_ROUTE.test(route)) return 'vcs';
  if (byFirst !== undefined) return byFirst;
  if (first.startsWith('apple-touch-icon')) return 'static';
  return 'other';
}
