// The synthetic traffic generator for a Phorge install: a seeded, deterministic model of one day of
// people, bots and attackers, streamed as time-ordered happenings and rendered into the four logs
// phabwatch reads (Phorge access log, nginx combined log, SSH log, phd's daemons.log).
//
// Usage: `generateDay(options, sinks)` streams everything into line sinks and returns a summary;
// `new TrafficModel(options)` gives the happenings one by one for callers that render themselves.

import {
  anonymousVisit, arcRun, browseSession, gitHttpClone, loginFlow, scriptRun, sshGit, type Stage,
} from './activities.js';
import { BUSY_REPOSITORIES, GIT_USER_AGENTS } from './catalog.js';
import { type DaemonStream, daemonStream } from './daemon-stream.js';
import { type DayFrame, dayFrame, within } from './day-frame.js';
import {
  chatBotPolls, ciBuilds, clusterSyncCalls, dashboardRefreshes, disabledAccountCron, healthChecks, monitoringPings, pollerBots,
  rateLimitedCrawler, webserverNoise,
} from './fixed-streams.js';
import type { Happening } from './happenings.js';
import { buildCast, type Cast, type Person } from './population.js';
import { PresenceTable } from './presence.js';
import { Prng, WeightedTable } from './prng.js';
import { renderDaemonLines } from './render-daemon.js';
import { renderNginxCombined } from './render-nginx.js';
import { renderPhabricatorAccess } from './render-phorge.js';
import { renderSshLine } from './render-ssh.js';
import { RequestBuilder } from './request-builder.js';
import {
  ALL_SCENARIOS, type PlantedScenario, plantScenarios, type ScenarioId, scenarioWindows, type ScenarioWindows,
} from './scenarios.js';
import { ServerClock } from './timestamps.js';
import { WriteOrderQueue } from './write-order-queue.js';
import { parseIsoDate } from './zones.js';

export { renderDaemonLines } from './render-daemon.js';
export { nginxRequestLine, renderNginxCombined } from './render-nginx.js';
export { renderPhabricatorAccess } from './render-phorge.js';
export { renderSshLine } from './render-ssh.js';
export type { DaemonEvent, DaemonHappening, Happening, HttpHappening, SshHappening } from './happenings.js';
export type { Bot, Cast, Person, Token } from './population.js';
export { ALL_SCENARIOS, INCIDENT_IDS, NEAR_MISS_IDS, PLANTED_ADDRESSES } from './scenarios.js';
export type { IncidentId, NearMissId, PlantedScenario, ScenarioId } from './scenarios.js';
export { ServerClock } from './timestamps.js';

export interface TrafficOptions {
  /** any string or number; the same seed and options give the same bytes */
  seed: string | number;
  /** the organisation-local day to generate, `YYYY-MM-DD` */
  date: string;
  /** the organisation's zone: the day runs from local midnight to local midnight, scenario times are local */
  orgZone: string;
  /** the server's zone, used by every timestamp written (`UTC` writes `+0000`) */
  serverZone: string;
  /** the server's host name (Phorge's %h) */
  serverHost: string;
  /** exact number of lines in the Phorge access log */
  requests: number;
  /** people in the cast (at least the 20 named ones) */
  people: number;
  /** bots (at least ci-bot, phabricator-bot, cluster-sync; more become `poller-NN`) */
  bots: number;
  /** registry rows; null for exactly the cast's own tokens, more adds api- tokens used in query strings */
  tokens: number | null;
  /** size of the pool of outside client addresses (people's homes and anonymous visitors) */
  addresses: number;
  /** scenarios to plant: incidents and near misses */
  scenarios: 'all' | readonly ScenarioId[];
  /** one /status/ check from the load balancers every this many seconds; 0 for none */
  healthCheckIntervalSeconds: number;
}

/** The bundled example: Tuesday 2026-11-24 in New York, logs in UTC. */
export const EXAMPLE_OPTIONS: Readonly<TrafficOptions> = Object.freeze({
  seed: 'phabwatch-example-2026-11-24',
  date: '2026-11-24',
  orgZone: 'America/New_York',
  serverZone: 'UTC',
  serverHost: 'phorge01',
  requests: 19000,
  people: 48,
  bots: 3,
  tokens: null,
  addresses: 600,
  scenarios: 'all',
  healthCheckIntervalSeconds: 60,
});

/** Fills in defaults (the example's) and checks every option, naming the bad one. */
export function resolveTrafficOptions(options: Partial<TrafficOptions>): TrafficOptions {
  const resolved: TrafficOptions = { ...EXAMPLE_OPTIONS, ...options };
  parseIsoDate(resolved.date);
  const positiveInteger = (name: keyof TrafficOptions, value: number, min: number): void => {
    if (!Number.isInteger(value) || value < min) throw new RangeError(`option ${name} must be an integer >= ${min}, got ${value}`);
  };
  positiveInteger('requests', resolved.requests, 1);
  positiveInteger('people', resolved.people, 1);
  positiveInteger('bots', resolved.bots, 1);
  positiveInteger('addresses', resolved.addresses, 1);
  if (resolved.tokens !== null) positiveInteger('tokens', resolved.tokens, 1);
  if (!(resolved.healthCheckIntervalSeconds >= 0)) {
    throw new RangeError(`option healthCheckIntervalSeconds must be >= 0, got ${resolved.healthCheckIntervalSeconds}`);
  }
  if (resolved.scenarios !== 'all') {
    for (const id of resolved.scenarios) {
      if (!ALL_SCENARIOS.includes(id)) throw new RangeError(`option scenarios: unknown scenario "${id}"`);
    }
  }
  return resolved;
}

type HumanActivity = 'browse' | 'arc' | 'script' | 'gitHttp' | 'ssh' | 'login';

const WORK_ACTIVITIES = new WeightedTable<HumanActivity>([
  ['browse', 56], ['arc', 16], ['script', 7], ['gitHttp', 4], ['ssh', 14], ['login', 3],
]);

/** Share of page requests failing with 500 outside the planted spike, and inside it. */
const BASE_SERVER_ERROR_SHARE = 0.002;
const SPIKE_SERVER_ERROR_SHARE = 0.35;

function startOf(h: Happening): number {
  return h.type === 'daemon' ? h.atMs : h.startMs;
}

/**
 * The day's traffic as a stream of happenings in log-write order. Traffic on its own clock (bots,
 * health checks, scenarios, daemons) is generated first and counted; people and anonymous visitors
 * then fill the rest of `requests`, minute by minute, in proportion to who is at work.
 */
export class TrafficModel {
  readonly options: TrafficOptions;
  readonly frame: DayFrame;
  readonly cast: Cast;
  readonly clock: ServerClock;
  readonly scenarios: PlantedScenario[];
  readonly windows: ScenarioWindows;
  readonly daemons: DaemonStream;

  private readonly queue = new WriteOrderQueue();
  private readonly fixed: Happening[];
  private fixedIndex = 0;
  private readonly presence: PresenceTable;
  private readonly backgroundStage: Stage;
  private readonly minuteTargets: Float64Array;
  private readonly backgroundBudget: number;
  private backgroundLines = 0;
  private anonymousLines = 0;
  /**
   * Share of background lines from anonymous visitors: enough visits to walk the whole address pool
   * (each visitor address is used once before any repeats), at least 6%, at most half.
   */
  private readonly anonymousShare: number;
  private minute = 0;
  private flushBeforeMs = Number.NEGATIVE_INFINITY;

  constructor(options: Partial<TrafficOptions> = {}) {
    this.options = resolveTrafficOptions(options);
    const o = this.options;
    this.frame = dayFrame(o.date, o.orgZone);
    this.clock = new ServerClock(o.serverZone);
    const root = new Prng(o.seed);
    this.cast = buildCast(root, {
      people: o.people, bots: o.bots, tokens: o.tokens, addresses: o.addresses, dayEndMs: this.frame.endMs,
    });
    const enabled = new Set<ScenarioId>(o.scenarios === 'all' ? ALL_SCENARIOS : o.scenarios);
    this.windows = scenarioWindows(this.frame, enabled);
    const serverErrors = this.windows.serverErrors;
    const build = new RequestBuilder(o.serverHost, root.fork('server'), this.frame.startMs,
      (ms) => (within(serverErrors, ms) ? SPIKE_SERVER_ERROR_SHARE : BASE_SERVER_ERROR_SHARE));

    // Traffic on its own clock, generated whole and counted.
    const fixed: Happening[] = [];
    const fixedStage: Stage = { rng: root.fork('fixed'), build, cast: this.cast, emit: (h) => fixed.push(h) };
    healthChecks(fixedStage, this.frame, o.healthCheckIntervalSeconds);
    chatBotPolls(fixedStage, this.frame, this.windows.chatBotSpike);
    clusterSyncCalls(fixedStage, this.frame);
    ciBuilds(fixedStage, this.frame, o.people, enabled.has('bot-at-night'));
    pollerBots(fixedStage, this.frame);
    dashboardRefreshes(fixedStage, this.frame);
    if (enabled.has('unauthenticated-ping')) monitoringPings(fixedStage, this.frame);
    if (enabled.has('disabled-account-cron')) disabledAccountCron(fixedStage, this.frame);
    webserverNoise(fixedStage, this.frame);
    rateLimitedCrawler(fixedStage, this.frame);
    this.scenarios = plantScenarios({ ...fixedStage, rng: root.fork('scenarios') }, this.frame, enabled);
    this.daemons = daemonStream(root.fork('daemons'), this.frame, {
      ciOutage: this.windows.ciWebhookOutage, chatTimeouts: enabled.has('webhook-single-timeouts'),
    });
    fixed.push(...this.daemons.happenings);
    fixed.sort((a, b) => startOf(a) - startOf(b));
    this.fixed = fixed;

    const fixedLines = fixed.filter((h) => h.type === 'http' && h.phorgeStatus !== null).length;
    this.backgroundBudget = o.requests - fixedLines;
    if (this.backgroundBudget < 0) {
      throw new RangeError(
        `option requests (${o.requests}) is below the ${fixedLines} access-log lines that health checks, bots and ` +
        'planted scenarios write on their own; raise requests, or lower bots, healthCheckIntervalSeconds or scenarios');
    }

    this.presence = new PresenceTable(this.frame, this.cast.people);
    const visitorAddresses = Math.max(0, o.addresses - o.people);
    this.anonymousShare = Math.min(0.5, Math.max(0.06, (1.15 * visitorAddresses) / Math.max(1, this.backgroundBudget)));
    this.minuteTargets = this.planMinutes();
    this.backgroundStage = {
      rng: root.fork('background'), build, cast: this.cast,
      emit: (h) => {
        if (h.type === 'http' && h.phorgeStatus !== null) {
          if (this.backgroundLines >= this.backgroundBudget) return;
          this.backgroundLines++;
        }
        this.queue.push(h);
      },
    };
  }

  /** The next happening in write order, or null at the end of the day. */
  next(): Happening | null {
    for (;;) {
      if (this.queue.peekTime() < this.flushBeforeMs) {
        const h = this.queue.pop() as Happening;
        if (h.type === 'ssh' && within(this.windows.sshSilence, h.startMs)) continue;
        return h;
      }
      if (this.minute >= this.minuteTargets.length) {
        if (this.queue.size === 0) return null;
        this.flushBeforeMs = Number.POSITIVE_INFINITY;
        continue;
      }
      this.advanceMinute();
    }
  }

  *[Symbol.iterator](): Generator<Happening> {
    for (let h = this.next(); h !== null; h = this.next()) yield h;
  }

  /** Cumulative access-log line targets per minute, shaped by who is at work, with a floor for the night. */
  private planMinutes(): Float64Array {
    const minutes = Math.round((this.frame.endMs - this.frame.startMs) / 60000);
    const weights = new Float64Array(minutes);
    let presenceSum = 0;
    for (let b = 0; b < this.presence.bucketCount; b++) presenceSum += this.presence.weightAt(this.frame.startMs + b * 900000);
    const meanPresence = presenceSum / this.presence.bucketCount;
    let total = 0;
    for (let m = 0; m < minutes; m++) {
      const ms = this.frame.startMs + m * 60000;
      const orgMinute = this.presence.localMinute(this.frame.orgZone, ms);
      const floor = 0.1 * meanPresence * (orgMinute >= 7 * 60 && orgMinute < 22 * 60 ? 1.2 : 0.6);
      weights[m] = this.presence.weightAt(ms) + floor;
      total += weights[m] as number;
    }
    const targets = new Float64Array(minutes);
    let cumulative = 0;
    for (let m = 0; m < minutes; m++) {
      cumulative += weights[m] as number;
      targets[m] = m === minutes - 1 ? this.backgroundBudget : Math.round((this.backgroundBudget * cumulative) / total);
    }
    return targets;
  }

  private advanceMinute(): void {
    const m = this.minute++;
    const minuteStart = this.frame.startMs + m * 60000;
    const last = m === this.minuteTargets.length - 1;
    const horizon = last ? Number.POSITIVE_INFINITY : minuteStart + 60000;
    while (this.fixedIndex < this.fixed.length && startOf(this.fixed[this.fixedIndex] as Happening) < horizon) {
      this.queue.push(this.fixed[this.fixedIndex++] as Happening);
    }
    const target = this.minuteTargets[m] as number;
    const rng = this.backgroundStage.rng;
    let idle = 0;
    while (this.backgroundLines < target) {
      const before = this.backgroundLines;
      const at = minuteStart + rng.int(60000);
      // Anonymous visits (one access-log line each) are kept at their share of the lines written so far.
      const drawn = this.anonymousLines < this.anonymousShare * (this.backgroundLines + 1) ? null : this.presence.draw(rng, at);
      if (drawn === null) {
        anonymousVisit(this.backgroundStage, at);
        this.anonymousLines += this.backgroundLines - before;
      } else {
        this.humanActivity(drawn.person, drawn.mode, at);
      }
      idle = this.backgroundLines === before ? idle + 1 : 0;
      if (idle > 10000) throw new Error(`traffic model stuck at minute ${m}: 10000 activities wrote no access-log line`);
    }
    this.flushBeforeMs = horizon;
  }

  private humanActivity(person: Person, mode: 'work' | 'evening' | 'night', at: number): void {
    const stage = this.backgroundStage;
    const rng = stage.rng;
    if (mode !== 'work' || !this.presence.isTokenTime(person, at)) {
      browseSession(stage, person, at, { ip: person.homeIp, short: true });
      return;
    }
    // Holders of many tokens (the benchmark's registry) run their scripts more often, so the tokens get used.
    const manyTokens = person.script !== null && person.script.tokens.length > 1 && rng.chance(0.08);
    const activity = manyTokens ? 'script' : WORK_ACTIVITIES.draw(rng);
    const browseIp = person.officeIp !== null && rng.chance(0.85) ? person.officeIp : person.homeIp;
    switch (activity) {
      case 'arc':
        if (person.arcToken !== null) {
          arcRun(stage, person, at);
          return;
        }
        break;
      case 'script':
        if (person.script !== null && !person.isDisabled) {
          scriptRun(stage, person, at);
          return;
        }
        break;
      case 'gitHttp':
        if (person.gitOverHttp) {
          gitHttpClone(stage, person, at, rng.pick(BUSY_REPOSITORIES), person.workIp, rng.pick(GIT_USER_AGENTS));
          return;
        }
        break;
      case 'ssh': {
        const push = rng.chance(0.15);
        sshGit(stage, { user: person.username, ip: person.workIp }, at, rng.pick(BUSY_REPOSITORIES), push ? 'push' : 'fetch',
          push && rng.chance(0.03));
        return;
      }
      case 'login':
        loginFlow(stage, person, at, { ip: browseIp, userAgent: person.browserUserAgent, failures: rng.chance(0.15) ? 1 : 0 });
        return;
      case 'browse':
        break;
    }
    browseSession(stage, person, at, { ip: browseIp, short: false });
  }
}

/** Where rendered lines go (without newlines). */
export interface LineSink {
  write(line: string): void;
}

export interface TrafficSinks {
  phabricatorAccess?: LineSink;
  nginx?: LineSink;
  ssh?: LineSink;
  daemons?: LineSink;
}

export interface GenerationSummary {
  options: TrafficOptions;
  dayStartMs: number;
  dayEndMs: number;
  phabricatorAccessLines: number;
  nginxLines: number;
  sshLines: number;
  daemonLines: number;
  /** distinct client addresses in the nginx log */
  distinctClientAddresses: number;
  /** distinct raw tokens visible in nginx query strings (counted, never returned) */
  distinctTokensInQueries: number;
  registryTokens: number;
  scenarios: PlantedScenario[];
}

/** Streams one day into the sinks (only those given are rendered) and says what was written. */
export function generateDay(options: Partial<TrafficOptions>, sinks: TrafficSinks): GenerationSummary {
  return streamDay(new TrafficModel(options), sinks);
}

/** Streams a model's happenings into the sinks; a model can be streamed once. */
export function streamDay(model: TrafficModel, sinks: TrafficSinks): GenerationSummary {
  const clock = model.clock;
  const addresses = new Set<string>();
  const tokens = new Set<string>();
  let phab = 0;
  let web = 0;
  let ssh = 0;
  let daemon = 0;
  for (let h = model.next(); h !== null; h = model.next()) {
    if (h.type === 'http') {
      if (h.phorgeStatus !== null) {
        phab++;
        sinks.phabricatorAccess?.write(renderPhabricatorAccess(h, clock));
      }
      web++;
      sinks.nginx?.write(renderNginxCombined(h, clock));
      addresses.add(h.clientIp);
      if (h.query !== null && h.query.startsWith('api.token=')) tokens.add(h.query.slice(10, 42));
    } else if (h.type === 'ssh') {
      ssh++;
      sinks.ssh?.write(renderSshLine(h, clock));
    } else {
      for (const line of renderDaemonLines(h, clock)) {
        daemon++;
        sinks.daemons?.write(line);
      }
    }
  }
  return {
    options: model.options,
    dayStartMs: model.frame.startMs,
    dayEndMs: model.frame.endMs,
    phabricatorAccessLines: phab,
    nginxLines: web,
    sshLines: ssh,
    daemonLines: daemon,
    distinctClientAddresses: addresses.size,
    distinctTokensInQueries: tokens.size,
    registryTokens: model.cast.tokens.length,
    scenarios: model.scenarios,
  };
}
