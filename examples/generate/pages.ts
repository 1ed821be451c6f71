// What people look at in Phorge's web UI: a weighted table of page kinds, each turned into a concrete
// path, its routed controller, and a plausible response size and server time.

import { CONTROLLERS, REPOSITORIES, type Repository, SOURCE_FILES } from './catalog.js';
import type { Cast } from './population.js';
import { type Prng, WeightedTable } from './prng.js';

export interface PageSpec {
  path: string;
  query: string | null;
  controller: string;
  method: 'GET' | 'POST';
  bytes: number;
  durationMs: number;
  /** the object a comment can be posted on from this page */
  commentable: { kind: 'revision' | 'task'; id: number } | null;
}

type PageKind =
  | 'revision' | 'task' | 'home' | 'browse' | 'history' | 'commit' | 'revisionList' | 'taskList' | 'feed'
  | 'profile' | 'search' | 'conduitList' | 'conduitMethod' | 'file' | 'project' | 'buildable' | 'wiki' | 'paste'
  | 'repository' | 'repositoryList' | 'settings' | 'notifications' | 'typeahead';

const PAGE_KINDS = new WeightedTable<PageKind>([
  ['revision', 25], ['task', 17], ['home', 8], ['browse', 8], ['history', 2], ['commit', 5], ['revisionList', 5],
  ['taskList', 4], ['feed', 2], ['profile', 2], ['search', 2], ['conduitList', 0.5], ['conduitMethod', 0.5],
  ['file', 3], ['project', 2], ['buildable', 2], ['wiki', 2], ['paste', 1], ['repository', 2],
  ['repositoryList', 0.5], ['settings', 0.5], ['notifications', 5], ['typeahead', 3],
]);

const PROJECT_SLUGS = ['backend', 'frontend', 'infra', 'security', 'mobile', 'release-2026-12', 'data', 'sre'];
const WIKI_SLUGS = ['onboarding', 'runbooks/on-call', 'architecture', 'équipe', 'release-process', 'style-guide'];
const TYPEAHEAD_SOURCES = ['PhabricatorPeopleDatasource', 'PhabricatorProjectDatasource', 'ManiphestTaskStatusDatasource'];

function size(rng: Prng, median: number, sigma: number): number {
  return Math.round(rng.logNormal(median, sigma));
}

/** Recent objects are looked at far more than old ones. */
export function revisionId(rng: Prng): number {
  return 4200 - Math.floor(Math.pow(rng.next(), 3) * 3200);
}

export function taskId(rng: Prng): number {
  return 9800 - Math.floor(Math.pow(rng.next(), 3) * 9700);
}

function repositoryBase(repository: Repository, rng: Prng): string {
  return repository.callsign !== null && rng.chance(0.5)
    ? `/diffusion/${repository.callsign}/`
    : `/source/${repository.shortName}/`;
}

function get(path: string, controller: string, bytes: number, durationMs: number, query: string | null = null): PageSpec {
  return { path, query, controller, method: 'GET', bytes, durationMs, commentable: null };
}

export function drawPage(rng: Prng, cast: Cast): PageSpec {
  const kind = PAGE_KINDS.draw(rng);
  switch (kind) {
    case 'revision': {
      const id = revisionId(rng);
      return { ...get(`/D${id}`, CONTROLLERS.revision, size(rng, 42000, 0.7), rng.logNormal(350, 0.6)),
        commentable: { kind: 'revision', id } };
    }
    case 'task': {
      const id = taskId(rng);
      return { ...get(`/T${id}`, CONTROLLERS.task, size(rng, 18000, 0.5), rng.logNormal(180, 0.5)),
        commentable: { kind: 'task', id } };
    }
    case 'home':
      return get('/', CONTROLLERS.home, size(rng, 21000, 0.3), rng.logNormal(220, 0.5));
    case 'browse': {
      const repository = rng.pick(REPOSITORIES.slice(0, 14));
      return get(`${repositoryBase(repository, rng)}browse/master/${rng.pick(SOURCE_FILES)}`, CONTROLLERS.browse,
        size(rng, 26000, 0.9), rng.logNormal(260, 0.7));
    }
    case 'history': {
      const repository = rng.pick(REPOSITORIES.slice(0, 14));
      return get(`${repositoryBase(repository, rng)}history/master/`, CONTROLLERS.history, size(rng, 30000, 0.4),
        rng.logNormal(300, 0.6));
    }
    case 'commit': {
      const repository = rng.pick(REPOSITORIES.filter((r) => r.callsign !== null));
      return get(`/r${repository.callsign}${rng.hex(12)}`, CONTROLLERS.commit, size(rng, 35000, 0.8),
        rng.logNormal(400, 0.6));
    }
    case 'revisionList':
      return get('/differential/', CONTROLLERS.revisionList, size(rng, 24000, 0.3), rng.logNormal(200, 0.5));
    case 'taskList':
      return get('/maniphest/', CONTROLLERS.taskList, size(rng, 22000, 0.3), rng.logNormal(210, 0.5));
    case 'feed':
      return get('/feed/', CONTROLLERS.feed, size(rng, 28000, 0.3), rng.logNormal(250, 0.5));
    case 'profile':
      return get(`/p/${rng.pick(cast.people).username}/`, CONTROLLERS.profile, size(rng, 16000, 0.3),
        rng.logNormal(150, 0.5));
    case 'search':
      return get('/search/', CONTROLLERS.search, size(rng, 19000, 0.4), rng.logNormal(300, 0.6));
    case 'conduitList':
      return get('/conduit/', CONTROLLERS.conduitList, size(rng, 31000, 0.2), rng.logNormal(120, 0.4));
    case 'conduitMethod':
      return get(`/conduit/method/${rng.pick(['maniphest.search', 'differential.revision.search', 'user.whoami'])}/`,
        'PhabricatorConduitConsoleController', size(rng, 24000, 0.3), rng.logNormal(110, 0.4));
    case 'file':
      return get(`/file/data/${rng.base32(20)}/PHID-FILE-${rng.base32(20)}/${rng.pick(['screenshot.png', 'image.png', 'trace.log', 'design.pdf'])}`,
        CONTROLLERS.fileData, size(rng, 180000, 1.0), rng.logNormal(40, 0.6));
    case 'project':
      return get(`/tag/${rng.pick(PROJECT_SLUGS)}/`, CONTROLLERS.project, size(rng, 20000, 0.4), rng.logNormal(200, 0.5));
    case 'buildable':
      return get(`/B${60000 + rng.int(5000)}`, CONTROLLERS.buildable, size(rng, 14000, 0.4), rng.logNormal(150, 0.5));
    case 'wiki':
      return get(`/w/${rng.pick(WIKI_SLUGS)}/`, CONTROLLERS.wiki, size(rng, 15000, 0.6), rng.logNormal(120, 0.5));
    case 'paste':
      return get(`/P${100 + rng.int(2400)}`, CONTROLLERS.paste, size(rng, 9000, 0.7), rng.logNormal(90, 0.5));
    case 'repository': {
      const repository = rng.pick(REPOSITORIES.slice(0, 14));
      return get(repositoryBase(repository, rng), CONTROLLERS.repository, size(rng, 33000, 0.3), rng.logNormal(250, 0.5));
    }
    case 'repositoryList':
      return get('/diffusion/', CONTROLLERS.repositoryList, size(rng, 26000, 0.2), rng.logNormal(180, 0.4));
    case 'settings':
      return get('/settings/', CONTROLLERS.settings, size(rng, 12000, 0.2), rng.logNormal(100, 0.4));
    case 'notifications':
      return { ...get('/notification/panel/', CONTROLLERS.notificationPanel, size(rng, 1600, 0.6), rng.logNormal(60, 0.5)),
        method: 'POST' };
    case 'typeahead': {
      const prefix = rng.pick(cast.people).username.slice(0, 1 + rng.int(3));
      return get(`/typeahead/class/${rng.pick(TYPEAHEAD_SOURCES)}/`, CONTROLLERS.typeahead, size(rng, 900, 0.6),
        rng.logNormal(45, 0.5), `q=${prefix}&raw=${prefix}&__ajax__=true`);
    }
  }
}

/** Pages that do not exist, as logged-in people mistype them (logged as 404). */
export function mistypedPage(rng: Prng): PageSpec {
  const choice = rng.int(4);
  if (choice === 0) return get('/D99999', CONTROLLERS.revision, 5800, rng.logNormal(90, 0.4));
  if (choice === 1) return get('/T99999', CONTROLLERS.task, 5700, rng.logNormal(80, 0.4));
  if (choice === 2) return get('/maniphset/', CONTROLLERS.notFound, 5600, rng.logNormal(40, 0.4));
  return get('/differental/', CONTROLLERS.notFound, 5600, rng.logNormal(40, 0.4));
}
