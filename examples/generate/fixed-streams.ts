// Traffic that runs on its own clock rather than on people's working hours: load-balancer health
// checks, the bots, monitoring, a disabled account's forgotten cron job, and the internet's background
// noise at the webserver. All of it is generated up front, so its Phorge lines can be counted before
// the human traffic fills the rest of the requested total.

import { conduitCall, sshGit, type Stage } from './activities.js';
import {
  BUSY_REPOSITORIES, CHATBOT_POLL_METHODS, CI_BUILD_METHODS, CLUSTER_METHODS, CONTROLLERS, SCRIPT_METHODS,
} from './catalog.js';
import { type DayFrame, orgTime, type TimeWindow } from './day-frame.js';
import { nginxEscapeBytes } from './escaping.js';
import type { Bot } from './population.js';
import { WeightedTable } from './prng.js';
import type { Client } from './request-builder.js';

const LOAD_BALANCERS = ['10.0.0.2', '10.0.0.3'];
const MONITORING_ADDRESS = '10.0.0.9';
const CHATBOT_TABLE = new WeightedTable<string>(CHATBOT_POLL_METHODS);
const CLUSTER_TABLE = new WeightedTable<string>(CLUSTER_METHODS);
const SCRIPT_TABLE = new WeightedTable<string>(SCRIPT_METHODS);

function botClient(bot: Bot, ip: string, protocol: Client['protocol'] = 'HTTP/1.1'): Client {
  return { ip, user: bot.username, userAgent: bot.userAgent, protocol };
}

function requireBot(stage: Stage, name: string): Bot {
  const bot = stage.cast.botsByName.get(name);
  if (bot === undefined) throw new RangeError(`the cast has no bot named ${name}`);
  return bot;
}

/** `/status/` from the two load balancers, alternating, one check every `intervalSeconds`. */
export function healthChecks(stage: Stage, frame: DayFrame, intervalSeconds: number): void {
  if (intervalSeconds <= 0) return;
  const { rng, build } = stage;
  let i = 0;
  for (let t = frame.startMs + 7000; t < frame.endMs; t += intervalSeconds * 1000, i++) {
    const ip = LOAD_BALANCERS[i % LOAD_BALANCERS.length] as string;
    stage.emit(build.phorge({
      startMs: t + rng.int(40), client: { ip, user: null, userAgent: null, protocol: 'HTTP/1.1' }, path: '/status/',
      controller: CONTROLLERS.status, bytes: 6, durationMs: rng.logNormal(4, 0.3),
    }));
  }
}

/** The chat bot polls Conduit once a minute with its token in the query string; `spike` is a runaway loop. */
export function chatBotPolls(stage: Stage, frame: DayFrame, spike: TimeWindow | null): void {
  const { rng } = stage;
  const bot = requireBot(stage, 'phabricator-bot');
  const client = botClient(bot, bot.addresses[0] as string);
  const poll = (t: number): void => {
    stage.emit(conduitCall(stage, t, client, CHATBOT_TABLE.draw(rng), {
      token: bot.token, tokenInQuery: bot.tokenInQuery, loggedUser: bot.username, httpMethod: 'GET',
    }));
  };
  for (let t = frame.startMs + 20000 + rng.int(30000); t < frame.endMs; t += 57000 + rng.int(6000)) poll(t);
  if (spike !== null) {
    for (let t = spike.fromMs + rng.int(3000); t < spike.toMs; t += 4000 + rng.int(3000)) poll(t);
  }
}

/** Cluster hosts call each other's Conduit with the cluster-sync account's clr- token (POSTed). */
export function clusterSyncCalls(stage: Stage, frame: DayFrame): void {
  const { rng } = stage;
  const bot = requireBot(stage, 'cluster-sync');
  for (let t = frame.startMs + rng.int(240000); t < frame.endMs; t += 180000 + rng.int(120000)) {
    const client = botClient(bot, rng.pick(bot.addresses));
    let at = t;
    for (let n = 1 + rng.int(3); n > 0; n--) {
      const call = conduitCall(stage, at, client, CLUSTER_TABLE.draw(rng), {
        token: bot.token, tokenInQuery: false, loggedUser: bot.username, durationMs: rng.logNormal(45, 0.6),
      });
      stage.emit(call);
      at = call.endMs + 5 + rng.int(50);
    }
  }
}

/** One CI build: clone over SSH, report progress through Conduit, upload an artifact, report the result. */
function ciBuild(stage: Stage, startMs: number): void {
  const { rng } = stage;
  const bot = requireBot(stage, 'ci-bot');
  const ip = rng.pick(bot.addresses);
  const client = botClient(bot, ip);
  const call = (at: number, method: string): number => {
    const happening = conduitCall(stage, at, client, method, { token: bot.token, tokenInQuery: false, loggedUser: bot.username });
    stage.emit(happening);
    return happening.endMs;
  };
  let t = sshGit(stage, { user: bot.username, ip }, startMs, rng.pick(BUSY_REPOSITORIES), 'fetch');
  const progress = CI_BUILD_METHODS.slice(0, -2);
  const completion = CI_BUILD_METHODS.slice(-2);
  for (const method of progress) t = call(t + 1500 + rng.int(3000), method);
  t += rng.logNormal(360000, 0.5);
  for (const method of completion) t = call(t + 200 + rng.int(2000), method);
}

/**
 * CI builds: every few minutes during New York working hours (more with a bigger team), a scheduled
 * build every 10-20 minutes outside them, and a nightly batch of 12 builds from 02:00 org time. The
 * SSH log therefore never pauses for long on its own.
 */
export function ciBuilds(stage: Stage, frame: DayFrame, people: number, nightlyBatch: boolean): void {
  const { rng } = stage;
  const scale = Math.max(1, people / 50);
  const workFrom = orgTime(frame, '08:00');
  const workTo = orgTime(frame, '19:00');
  let t = frame.startMs + rng.int(600000);
  while (t < frame.endMs) {
    ciBuild(stage, t);
    t += t >= workFrom && t < workTo
      ? Math.min(1200000, rng.exponential(240000 / scale))
      : 600000 + rng.int(600000);
  }
  const nightlyFrom = orgTime(frame, '02:00');
  for (let i = 0; nightlyBatch && i < 12; i++) ciBuild(stage, nightlyFrom + i * 150000 + rng.int(20000));
}

/** Extra bots (`poller-NN`) each poll one or two methods at their own pace. */
export function pollerBots(stage: Stage, frame: DayFrame): void {
  const { rng } = stage;
  for (const bot of stage.cast.bots.slice(3)) {
    const intervalMs = 120000 + rng.int(480000);
    const method = SCRIPT_TABLE.draw(rng);
    const client = botClient(bot, bot.addresses[0] as string);
    for (let t = frame.startMs + rng.int(intervalMs); t < frame.endMs; t += intervalMs + rng.int(5000)) {
      stage.emit(conduitCall(stage, t, client, method, {
        token: bot.token, tokenInQuery: bot.tokenInQuery, loggedUser: bot.username,
        httpMethod: bot.tokenInQuery ? 'GET' : 'POST',
      }));
    }
  }
}

/** Uptime monitoring calls `conduit.ping`, which needs no authentication: `%u` is `-` although nothing failed. */
export function monitoringPings(stage: Stage, frame: DayFrame): void {
  const { rng } = stage;
  const client: Client = { ip: MONITORING_ADDRESS, user: null, userAgent: 'Uptime-Kuma/1.23.16', protocol: 'HTTP/1.1' };
  for (let t = frame.startMs + 45000; t < frame.endMs; t += 300000 + rng.int(2000)) {
    stage.emit(conduitCall(stage, t, client, 'conduit.ping', {
      token: null, tokenInQuery: false, loggedUser: null, bytes: 43, durationMs: rng.logNormal(9, 0.3),
    }));
  }
}

/**
 * mallory's account is disabled but her export job still runs hourly in office hours (cron
 * `17 9-17 * * 1-5`): one failed Conduit call an hour, her token in the query string.
 */
export function disabledAccountCron(stage: Stage, frame: DayFrame): void {
  const { rng } = stage;
  const mallory = stage.cast.peopleByName.get('mallory');
  if (mallory === undefined || mallory.script === null) return;
  const script = mallory.script;
  const client: Client = { ip: mallory.homeIp, user: mallory.username, userAgent: script.userAgent, protocol: 'HTTP/1.1' };
  for (let hour = 9; hour <= 17; hour++) {
    stage.emit(conduitCall(stage, orgTime(frame, `${String(hour).padStart(2, '0')}:17`) + rng.int(4000), client,
      'maniphest.search', { token: script.tokens[0] ?? null, tokenInQuery: true, loggedUser: null, httpMethod: 'GET' }));
  }
}

/** dave's sprint dashboard refreshes every half hour of his working day from his office, token in the query. */
export function dashboardRefreshes(stage: Stage, frame: DayFrame): void {
  const { rng } = stage;
  const dave = stage.cast.peopleByName.get('dave');
  if (dave === undefined || dave.script === null) return;
  const script = dave.script;
  const client: Client = { ip: dave.workIp, user: dave.username, userAgent: script.userAgent, protocol: 'HTTP/1.1' };
  for (let t = orgTime(frame, '08:30:10'); t < orgTime(frame, '18:00'); t += 1800000 + rng.int(4000)) {
    let at = t;
    for (const method of ['differential.revision.search', 'maniphest.search']) {
      const call = conduitCall(stage, at, client, method, {
        token: script.tokens[0] ?? null, tokenInQuery: script.tokenInQuery, loggedUser: dave.username, httpMethod: 'GET',
      });
      stage.emit(call);
      at = call.endMs + 50 + rng.int(300);
    }
  }
}

/** A TLS ClientHello sent to the plain-HTTP port, as nginx escapes it in `$request`. */
export const TLS_CLIENT_HELLO = nginxEscapeBytes([
  0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x8d, 0x5e, 0x27, 0xa1, 0x9c, 0x44,
]);

/** Internet noise nginx answers itself: TLS bytes and empty requests (400), direct /index.php hits (500). */
export function webserverNoise(stage: Stage, frame: DayFrame): void {
  const { rng, build } = stage;
  for (let t = frame.startMs + rng.int(3600000); t < frame.endMs; t += rng.exponential(5400000)) {
    const client: Client = { ip: stage.cast.addresses.nextVisitor(), user: null, userAgent: null, protocol: 'HTTP/1.1' };
    const u = rng.next();
    if (u < 0.5) {
      stage.emit(build.webOnly({ startMs: t, client, path: '', rawRequestLine: TLS_CLIENT_HELLO, webStatus: 400,
        bytes: 157, durationMs: rng.int(300) }));
    } else if (u < 0.75) {
      stage.emit(build.webOnly({ startMs: t, client, path: '', rawRequestLine: '', webStatus: 400, bytes: 0,
        durationMs: rng.int(5000) }));
    } else {
      // Without `__path__` Phorge's startup code gives up before the access log exists.
      stage.emit(build.webOnly({ startMs: t, client: { ...client, userAgent: 'Mozilla/5.0 zgrab/0.x' },
        path: '/index.php', webStatus: 500, bytes: 189, durationMs: 3 + rng.int(10) }));
    }
  }
}

/**
 * An SEO crawler crawls too fast: Phorge's client rate limiter starts answering 429 before routing, so
 * only nginx logs those.
 */
export function rateLimitedCrawler(stage: Stage, frame: DayFrame): void {
  const { rng, build } = stage;
  const client: Client = {
    ip: stage.cast.addresses.nextVisitor(), user: null,
    userAgent: 'Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)', protocol: 'HTTP/1.1',
  };
  let t = orgTime(frame, '07:15:02');
  for (let i = 0; i < 70; i++) {
    const path = rng.chance(0.5) ? `/D${1000 + rng.int(3200)}` : `/T${100 + rng.int(9700)}`;
    if (i < 34) {
      stage.emit(build.phorge({ startMs: t, client, path, controller: path.startsWith('/D') ? CONTROLLERS.revision : CONTROLLERS.task,
        bytes: 5720 + rng.int(200), durationMs: rng.logNormal(70, 0.3) }));
    } else {
      stage.emit(build.webOnly({ startMs: t, client, path, webStatus: 429, bytes: 426, durationMs: 2 + rng.int(4) }));
    }
    t += 1200 + rng.int(900);
  }
}

