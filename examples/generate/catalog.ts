// Static facts the traffic model draws from: controllers behind Phorge routes, Conduit methods,
// repositories, user agents, scanner paths. Route-to-controller pairs follow Phorge's application
// route tables; everything else is made up but shaped like the real thing.

/** The Phorge controller class that routing picks for a path (%C). */
export const CONTROLLERS = {
  home: 'PhabricatorHomeMenuItemController',
  revision: 'DifferentialRevisionViewController',
  revisionList: 'DifferentialRevisionListController',
  revisionEdit: 'DifferentialRevisionEditController',
  task: 'ManiphestTaskDetailController',
  taskList: 'ManiphestTaskListController',
  taskEdit: 'ManiphestTaskEditController',
  repository: 'DiffusionRepositoryController',
  repositoryList: 'DiffusionRepositoryListController',
  browse: 'DiffusionBrowseController',
  history: 'DiffusionHistoryController',
  commit: 'DiffusionCommitController',
  repositoryDefault: 'DiffusionRepositoryDefaultController',
  profile: 'PhabricatorPeopleProfileViewController',
  feed: 'PhabricatorFeedListController',
  conduitList: 'PhabricatorConduitListController',
  conduitApi: 'PhabricatorConduitAPIController',
  conduitTokenEdit: 'PhabricatorConduitTokenEditController',
  conduitTokenList: 'PhabricatorConduitTokenController',
  search: 'PhabricatorSearchController',
  notificationPanel: 'PhabricatorNotificationPanelController',
  typeahead: 'PhabricatorTypeaheadModularDatasourceController',
  fileData: 'PhabricatorFileDataController',
  project: 'PhabricatorProjectViewController',
  buildable: 'HarbormasterBuildableViewController',
  wiki: 'PhrictionDocumentController',
  paste: 'PhabricatorPasteViewController',
  settings: 'PhabricatorSettingsMainController',
  authStart: 'PhabricatorAuthStartController',
  authLogin: 'PhabricatorAuthLoginController',
  authValidate: 'PhabricatorAuthValidateController',
  authFinish: 'PhabricatorAuthFinishController',
  logout: 'PhabricatorLogoutController',
  status: 'PhabricatorStatusController',
  robots: 'PhabricatorRobotsController',
  notFound: 'PhabricatorPlatform404Controller',
  configList: 'PhabricatorConfigListController',
  configEdit: 'PhabricatorConfigEditController',
  peopleEmpower: 'PhabricatorPeopleEmpowerController',
  webhookView: 'HeraldWebhookViewController',
  webhookKey: 'HeraldWebhookKeyController',
} as const;

/** Conduit methods that need no authentication: `%u` is `-` for them even with a valid token. */
export const UNAUTHENTICATED_CONDUIT_METHODS: readonly string[] = [
  'conduit.connect', 'conduit.getcapabilities', 'conduit.getcertificate', 'conduit.ping',
];

/** Methods personal scripts call, weighted. */
export const SCRIPT_METHODS: ReadonlyArray<readonly [string, number]> = [
  ['differential.revision.search', 30],
  ['maniphest.search', 25],
  ['maniphest.edit', 6],
  ['project.search', 6],
  ['user.search', 6],
  ['user.whoami', 8],
  ['diffusion.commit.search', 8],
  ['diffusion.repository.search', 4],
  ['transaction.search', 5],
  ['phid.lookup', 4],
  ['harbormaster.build.search', 3],
];

/** An arc workflow: the Conduit methods it calls in order, and whether it ends with a push over SSH. */
export interface ArcWorkflow {
  name: string;
  calls: readonly string[];
  pushes: boolean;
}

export const ARC_WORKFLOWS: ReadonlyArray<readonly [ArcWorkflow, number]> = [
  [{ name: 'diff', pushes: false, calls: ['user.whoami', 'diffusion.repository.search', 'differential.query',
    'differential.creatediff', 'differential.setdiffproperty', 'differential.setdiffproperty',
    'differential.setdiffproperty', 'differential.parsecommitmessage', 'differential.revision.edit',
    'harbormaster.sendmessage'] }, 30],
  [{ name: 'land', pushes: true, calls: ['user.whoami', 'differential.revision.search', 'differential.querydiffs',
    'harbormaster.buildable.search', 'harbormaster.build.search', 'diffusion.repository.search'] }, 14],
  [{ name: 'list', pushes: false, calls: ['user.whoami', 'differential.revision.search'] }, 20],
  [{ name: 'patch', pushes: false, calls: ['differential.querydiffs', 'differential.getrawdiff',
    'diffusion.repository.search'] }, 10],
  [{ name: 'tasks', pushes: false, calls: ['maniphest.search'] }, 8],
  [{ name: 'status', pushes: false, calls: ['user.whoami', 'differential.revision.search',
    'differential.querydiffs'] }, 10],
];

/** Methods the CI bot calls around one build. */
export const CI_BUILD_METHODS: readonly string[] = [
  'harbormaster.sendmessage', 'differential.revision.search', 'diffusion.commit.search',
  'harbormaster.createartifact', 'harbormaster.sendmessage',
];

/** Methods the chat bot polls. */
export const CHATBOT_POLL_METHODS: ReadonlyArray<readonly [string, number]> = [
  ['feed.query', 70],
  ['maniphest.search', 12],
  ['differential.revision.search', 12],
  ['user.search', 6],
];

/** Methods cluster hosts call on each other with their `clr-` token. */
export const CLUSTER_METHODS: ReadonlyArray<readonly [string, number]> = [
  ['diffusion.branchquery', 30],
  ['diffusion.querycommits', 25],
  ['diffusion.resolverefs', 20],
  ['diffusion.rawdiffquery', 10],
  ['diffusion.filecontentquery', 15],
];

/** Repositories: short name, and a callsign for the old ones that still use `/diffusion/<CALLSIGN>/`. */
export interface Repository {
  shortName: string;
  callsign: string | null;
}

export const REPOSITORIES: readonly Repository[] = [
  { shortName: 'platform', callsign: 'P' }, { shortName: 'web', callsign: 'WEB' },
  { shortName: 'api', callsign: 'API' }, { shortName: 'mobile-ios', callsign: null },
  { shortName: 'mobile-android', callsign: null }, { shortName: 'infra', callsign: 'INFRA' },
  { shortName: 'terraform', callsign: null }, { shortName: 'docs', callsign: 'DOCS' },
  { shortName: 'design-system', callsign: null }, { shortName: 'billing', callsign: null },
  { shortName: 'payments', callsign: null }, { shortName: 'auth-service', callsign: null },
  { shortName: 'search', callsign: null }, { shortName: 'indexer', callsign: null },
  { shortName: 'data-pipeline', callsign: null }, { shortName: 'ml-models', callsign: null },
  { shortName: 'analytics', callsign: null }, { shortName: 'admin-console', callsign: null },
  { shortName: 'chatops', callsign: null }, { shortName: 'deploy-tools', callsign: null },
  { shortName: 'ci-config', callsign: null }, { shortName: 'protos', callsign: null },
  { shortName: 'sdk-js', callsign: null }, { shortName: 'sdk-python', callsign: null },
  { shortName: 'sdk-go', callsign: null }, { shortName: 'load-tests', callsign: null },
  { shortName: 'monitoring', callsign: null }, { shortName: 'security-tools', callsign: null },
  { shortName: 'secrets-rotation', callsign: null }, { shortName: 'legacy-monolith', callsign: 'L' },
  { shortName: 'marketing-site', callsign: null }, { shortName: 'status-page', callsign: null },
  { shortName: 'feature-flags', callsign: null }, { shortName: 'email-templates', callsign: null },
  { shortName: 'geo-service', callsign: null },
];

/** Repositories day-to-day work touches, most often first. */
export const BUSY_REPOSITORIES: readonly Repository[] = REPOSITORIES.slice(0, 12);

/** Files browsed in Diffusion; a few need percent-encoding (`@`, spaces, non-ASCII). */
export const SOURCE_FILES: readonly string[] = [
  'README.md', 'src/index.ts', 'src/server/routes.ts', 'src/server/auth/session.ts', 'src/@types/index.d.ts',
  'lib/billing/invoice.php', 'lib/billing/tax_rules.php', 'docs/Design Notes.md', 'docs/runbooks/on-call.md',
  'config/production.yaml', 'Makefile', 'package.json', 'src/components/Button.tsx', 'src/components/Modal.tsx',
  'cmd/geo/main.go', 'internal/cache/lru.go', 'scripts/deploy.sh', 'docs/équipe/planning.md',
  'tests/integration/test_checkout.py', 'terraform/modules/vpc/main.tf',
];

/** Browser user agents (one per person, some people switch). */
export const BROWSER_USER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
];

export const ARC_USER_AGENT = 'Arcanist/1.0 cURL/7.88.1';
export const GIT_USER_AGENTS: readonly string[] = ['git/2.43.0', 'git/2.39.5', 'git/2.47.1'];
export const SCRIPT_USER_AGENTS: readonly string[] = [
  'python-requests/2.31.0', 'curl/8.5.0', 'python-requests/2.32.3', 'Go-http-client/1.1', 'node-fetch/1.0',
];

/** Search-engine and monitoring agents that wander onto the login page. */
export const CRAWLER_USER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
];

/** Static resources a page pulls in; served by nginx from its cache, so only nginx logs them. */
export const STATIC_RESOURCES: ReadonlyArray<readonly [string, number]> = [
  ['/res/phabricator/e9cb7f33/core.pkg.css', 96000],
  ['/res/phabricator/1a2b3c4d/core.pkg.js', 210000],
  ['/res/phabricator/8f1e5c2a/differential.pkg.css', 21000],
  ['/res/phabricator/5d4c3b2a/differential.pkg.js', 74000],
  ['/res/phabricator/c0ffee12/diffusion.pkg.css', 9000],
  ['/res/phabricator/77aa55cc/maniphest.pkg.css', 6000],
  ['/res/phabricator/0badf00d/rsrc/favicons/favicon-32x32.png', 1300],
  ['/res/phabricator/3eed1f2b/rsrc/externals/font/fontawesome/fontawesome-webfont.woff2', 77160],
];

/** Paths a vulnerability scanner tries; none exist on Phorge. */
export const SCANNER_PATHS: readonly string[] = [
  '/.env', '/.env.production', '/.env.local', '/.git/config', '/.git/HEAD', '/.svn/entries', '/.DS_Store',
  '/wp-login.php', '/wp-admin/', '/wp-content/plugins/', '/xmlrpc.php', '/wordpress/wp-login.php',
  '/phpmyadmin/', '/phpMyAdmin/', '/pma/', '/myadmin/', '/mysql/', '/adminer.php', '/admin/', '/admin/login',
  '/administrator/', '/manager/html', '/server-status', '/server-info', '/actuator/health', '/actuator/env',
  '/config.json', '/config.php.bak', '/backup.zip', '/backup.sql', '/db.sql', '/dump.sql', '/.aws/credentials',
  '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php', '/cgi-bin/luci', '/cgi-bin/test.cgi', '/shell.php',
  '/boaform/admin/formLogin', '/HNAP1/', '/solr/admin/info/system', '/console/', '/jenkins/login', '/login.action',
  '/api/v1/pods', '/_ignition/execute-solution', '/telescope/requests', '/debug/default/view', '/.well-known/security.txt',
  '/owa/auth/logon.aspx', '/remote/login', '/global-protect/login.esp', '/sitemap.xml', '/crossdomain.xml',
  '/info.php', '/phpinfo.php', '/test.php', '/.vscode/sftp.json', '/.idea/workspace.xml', '/docker-compose.yml',
  '/Dockerfile', '/.travis.yml', '/.circleci/config.yml', '/storage/logs/laravel.log', '/web.config', '/elmah.axd',
  '/trace.axd', '/.htpasswd', '/.htaccess', '/id_rsa', '/.ssh/id_rsa', '/etc/passwd', '/composer.json',
  '/composer.lock', '/yarn.lock', '/package-lock.json', '/.npmrc', '/credentials.json', '/secrets.yml',
];

/** Other sites people arrive from; Phorge's own pages send no referrer (`Referrer-Policy: no-referrer`). */
export const EXTERNAL_DOMAINS = {
  chat: 'https://chat.example.com/',
  mail: 'https://mail.example.com/',
  wiki: 'https://wiki.example.com/',
} as const;
