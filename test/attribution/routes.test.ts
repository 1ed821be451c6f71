// Route folding as an analyst sees it: object ids, names and keys folded; the things rules group by
// (Conduit method, config key, built-in query, provider) kept.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { foldRoute, foldSshCommand, repositoryOf, routeClass } from '../../src/attribution/routes.js';
import type { EventKind } from '../../src/model/event.js';

// path, folded route, repository, class
const PATHS: [string, string, string | null, string][] = [
  ['/', '/', null, 'home'],
  ['/D123', '/D{id}', null, 'differential'],
  ['/D123/', '/D{id}/', null, 'differential'],
  ['/D123#comment-4', '/D{id}', null, 'differential'], // a fragment never reaches the server, but a hand-made line may have one
  ['/T45', '/T{id}', null, 'maniphest'],
  ['/F9', '/F{id}', null, 'files'],
  ['/P1', '/P{id}', null, 'other'],
  ['/H3', '/H{id}', null, 'herald'],
  ['/rPabc1234def', '/r{repo}{commit}', 'P', 'diffusion'],
  ['/R12:abc1234', '/R{repo}:{commit}', '12', 'diffusion'],
  ['/robots.txt', '/robots.txt', null, 'static'], // lower case after r: not a commit
  ['/diffusion/', '/diffusion/', null, 'diffusion'],
  ['/diffusion/P/', '/diffusion/{repo}/', 'P', 'diffusion'],
  ['/diffusion/12/history/', '/diffusion/{repo}/history/', '12', 'diffusion'],
  ['/diffusion/P/browse/master/src/a/b.php', '/diffusion/{repo}/browse/{ref}/{path}', 'P', 'diffusion'],
  ['/diffusion/P/browse/master/', '/diffusion/{repo}/browse/{ref}/', 'P', 'diffusion'],
  ['/diffusion/P/commit/abc1234def/', '/diffusion/{repo}/commit/{hash}/', 'P', 'diffusion'],
  ['/diffusion/P/manage/basics/', '/diffusion/{repo}/manage/basics/', 'P', 'diffusion'],
  ['/diffusion/pushlog/view/5/', '/diffusion/pushlog/view/{id}/', null, 'diffusion'], // a Diffusion page, not a repository
  ['/diffusion/query/all/', '/diffusion/query/all/', null, 'diffusion'],
  ['/diffusion/query/Ab3dEf_gH12/', '/diffusion/query/{query}/', null, 'diffusion'], // saved query key
  ['/source/phorge/browse/master/src/x.php$12', '/source/{repo}/browse/{ref}/{path}', 'phorge', 'diffusion'],
  ['/source/phorge.git/info/refs', '/source/{repo}/info/refs', 'phorge', 'vcs'],
  ['/source/phorge.git/git-upload-pack', '/source/{repo}/git-upload-pack', 'phorge', 'vcs'],
  ['/diffusion/P/test.git/git-receive-pack', '/diffusion/{repo}/{name}.git/git-receive-pack', 'P', 'vcs'],
  ['/p/alice/', '/p/{user}/', null, 'people'],
  ['/p/alice/calendar/', '/p/{user}/calendar/', null, 'people'],
  ['/people/manage/12/', '/people/manage/{id}/', null, 'people'],
  ['/people/empower/12/', '/people/empower/{id}/', null, 'admin'],
  ['/settings/user/alice/page/apitokens/', '/settings/user/{user}/page/apitokens/', null, 'settings'],
  ['/settings/panel/ssh/', '/settings/panel/ssh/', null, 'settings'],
  ['/file/data/abcdefghij234567abcd/PHID-FILE-aaaabbbbccccddddeeee/profile.png', '/file/data/{key}/{phid}/{name}', null, 'files'],
  ['/file/data/@inst/abcdefghij234567abcd/PHID-FILE-aaaabbbbccccddddeeee/x.png', '/file/data/{instance}/{key}/{phid}/{name}', null, 'files'],
  ['/file/download/abcdefghij234567abcd/PHID-FILE-aaaabbbbccccddddeeee/', '/file/download/{key}/{phid}/', null, 'files'],
  ['/file/xform/thumb-profile/PHID-FILE-aaaabbbbccccddddeeee/abcdefghij234567abcd/', '/file/xform/thumb-profile/{phid}/{key}/', null, 'files'],
  ['/login/once/welcome/2/[masked]/', '/login/once/{type}/{id}/{key}/', null, 'auth'],
  ['/login/once/reset/2/abc/7/', '/login/once/{type}/{id}/{key}/{id}/', null, 'auth'],
  ['/emailverify/[masked]/', '/emailverify/{key}/', null, 'auth'],
  ['/auth/login/password:self/', '/auth/login/password:self/', null, 'auth'],
  ['/auth/config/edit/3/', '/auth/config/edit/{id}/', null, 'admin'],
  ['/conduit/method/user.whoami/', '/conduit/method/user.whoami/', null, 'conduit'],
  ['/conduit/token/terminate/8/', '/conduit/token/terminate/{id}/', null, 'conduit'],
  ['/api/user.whoami', '/api/user.whoami', null, 'conduit'],
  ['/api/no.such.method', '/api/no.such.method', null, 'conduit'],
  ['/config/edit/policy.allow-public/', '/config/edit/policy.allow-public/', null, 'admin'],
  ['/res/phabricator/e0a2d7e4/rsrc/css/core.css', '/res/{path}', null, 'static'],
  ['/herald/webhook/view/3/request/PHID-HWBR-wzi57acnwfoyzjmnyd4j/', '/herald/webhook/view/{id}/request/{phid}/', null, 'herald'],
  ['/maniphest/query/assigned/', '/maniphest/query/assigned/', null, 'maniphest'],
  ['/maniphest/query/x7Yz09AbCdEf/', '/maniphest/query/{query}/', null, 'maniphest'],
  ['/w/engineering/howto/', '/w/{path}', null, 'other'],
  ['/tag/backend_team/', '/tag/{project}/', null, 'other'],
  ['/search/query/all/', '/search/query/all/', null, 'search'],
  ['/typeahead/class/PhabricatorPeopleDatasource/', '/typeahead/class/PhabricatorPeopleDatasource/', null, 'search'],
  ['/.env', '/.env', null, 'other'], // scanner paths stay readable
  ['/wp-login.php', '/wp-login.php', null, 'other'],
  ['/api/[api-abcd…:1f2e3d4c]/', '/api/[api-abcd…:1f2e3d4c]/', null, 'conduit'],
  ['/T1/[api-abcd…:1f2e3d4c]/', '/T{id}/{token}/', null, 'maniphest'],
];

describe('foldRoute / repositoryOf / routeClass on request paths', () => {
  for (const [path, route, repository, cls] of PATHS) {
    it(path, () => {
      assert.equal(foldRoute(path), route);
      assert.equal(repositoryOf(path, 'http'), repository);
      assert.equal(routeClass(route, null), cls);
    });
  }
});

describe('routeClass', () => {
  it('classes the anonymous 404 page as not_found whatever the path (Phorge logs it as 200)', () => {
    assert.equal(routeClass('/.env', 'PhabricatorPlatform404Controller'), 'not_found');
    assert.equal(routeClass('/D{id}', 'PhabricatorPlatform404Controller'), 'not_found');
  });

  it('uses the event kind to tell VCS traffic from repository browsing', () => {
    assert.equal(routeClass('/diffusion/{repo}/', null, 'vcs'), 'vcs'); // Mercurial: ?cmd= is not in the route
    assert.equal(routeClass('/diffusion/{repo}/', null, 'http'), 'diffusion');
    assert.equal(routeClass(null, null), 'other');
  });
});

// command, workflow, route, repository, class
const COMMANDS: [string, string, string | null, string | null, string][] = [
  ["git-upload-pack '/diffusion/P/'", 'git-upload-pack', 'git-upload-pack /diffusion/{repo}/', 'P', 'vcs'],
  ["git-receive-pack '/source/foo.git'", 'git-receive-pack', 'git-receive-pack /source/{repo}', 'foo', 'vcs'],
  ["git-upload-pack 'diffusion/P.git'", 'git-upload-pack', 'git-upload-pack /diffusion/{repo}', 'P', 'vcs'], // scp-style URL
  ["git-upload-pack '/diffusion/P/test.git'", 'git-upload-pack', 'git-upload-pack /diffusion/{repo}/{name}.git', 'P', 'vcs'],
  ["git-lfs-authenticate '/diffusion/P/' download", 'git-lfs-authenticate', 'git-lfs-authenticate /diffusion/{repo}/', 'P', 'vcs'],
  ['hg -R /diffusion/X/ serve --stdio', 'hg', 'hg /diffusion/{repo}/', 'X', 'vcs'],
  ['svnserve -t', 'svnserve', 'svnserve', null, 'vcs'],
  ['conduit user.whoami', 'conduit', 'conduit user.whoami', null, 'conduit'],
  ['bash -i', 'bash', 'bash', null, 'other'], // what a user typed is not a route
];

describe('SSH commands', () => {
  for (const [command, workflow, route, repository, cls] of COMMANDS) {
    it(command, () => {
      assert.equal(foldSshCommand(command, workflow), route);
      assert.equal(repositoryOf(command, 'ssh'), repository);
      assert.equal(routeClass(route, workflow, 'ssh'), cls);
    });
  }

  it('a session without a command has no route', () => {
    assert.equal(foldSshCommand(null, null), null);
    assert.equal(repositoryOf(null, 'ssh'), null);
  });

  it('daemon lines name no repository', () => {
    for (const kind of ['daemon', 'webhook'] as EventKind[]) assert.equal(repositoryOf('/diffusion/P/', kind), null);
  });
});
