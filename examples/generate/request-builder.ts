// Builds HttpHappening and SshHappening records with the server-side details filled in: php-fpm
// worker PIDs, durations, nginx's end time, and the server-error rate of the moment.

import type { HttpHappening, SshHappening } from './happenings.js';
import type { Prng } from './prng.js';

/** Who sends a request. */
export interface Client {
  ip: string;
  /** Phorge's %u for requests that authenticate (session, Conduit token owner, VCS user) */
  user: string | null;
  userAgent: string | null;
  protocol: HttpHappening['protocol'];
}

export interface PhorgeRequestInit {
  startMs: number;
  client: Client;
  method?: string;
  path: string;
  query?: string | null;
  controller: string;
  conduitMethod?: string | null;
  referrer?: string | null;
  /** the user Phorge logs, when it differs from the client's (failed auth: null) */
  loggedUser?: string | null;
  remoteUser?: string | null;
  phorgeStatus?: number;
  /** nginx status when it differs from Phorge's (302 for redirects) */
  webStatus?: number;
  bytes: number;
  durationMs: number;
  /** pages can fail with a 500 when the server is struggling; Conduit answers errors with 200 */
  canFail?: boolean;
}

export interface WebOnlyInit {
  startMs: number;
  client: Client;
  method?: string;
  path: string;
  query?: string | null;
  rawRequestLine?: string | null;
  referrer?: string | null;
  webStatus: number;
  bytes: number;
  durationMs: number;
}

export interface SshInit {
  startMs: number;
  clientIp: string;
  user: string | null;
  workflow: string | null;
  command: string | null;
  failed: boolean;
  durationMs: number;
  bytesIn: number | null;
  bytesOut: number | null;
}

const PHP_FPM_WORKERS = 24;
/** What nginx counts for a redirect's empty body (observed: 302 with 5 bytes). */
const REDIRECT_BODY_BYTES = 5;

export class RequestBuilder {
  private readonly workerPids: number[] = [];

  constructor(
    readonly host: string,
    private readonly rng: Prng,
    /** ssh-exec PIDs grow with time from this instant, like a busy host's PID counter */
    private readonly epochMs: number,
    /** share of page requests answered with a 500 at a moment */
    private readonly serverErrorShareAt: (ms: number) => number,
  ) {
    let pid = 30700 + rng.int(200);
    for (let i = 0; i < PHP_FPM_WORKERS; i++) {
      pid += 1 + rng.int(3);
      this.workerPids.push(pid);
    }
  }

  /** A request Phorge routed and logged (and nginx too). */
  phorge(init: PhorgeRequestInit): HttpHappening {
    const rng = this.rng;
    let durationMs = Math.max(1, init.durationMs);
    let phorgeStatus = init.phorgeStatus ?? 200;
    let webStatus = init.webStatus ?? phorgeStatus;
    let bytes = init.bytes;
    let fatal = false;
    if (init.canFail === true && rng.next() < this.serverErrorShareAt(init.startMs)) {
      phorgeStatus = 500;
      webStatus = 500;
      bytes = 4200 + rng.int(4800);
      durationMs = durationMs * 4 + rng.logNormal(2500, 0.8);
      // Memory exhaustion and other fatals go through PhabricatorStartup::didFatal, which leaves %T unset.
      fatal = rng.chance(0.1);
    }
    const durationUs = Math.floor(durationMs * 1000) + rng.int(1000);
    return {
      type: 'http',
      startMs: init.startMs,
      endMs: init.startMs + Math.ceil(durationUs / 1000) + 1 + rng.int(3),
      durationUs: fatal ? null : durationUs,
      clientIp: init.client.ip,
      pid: this.workerPids[rng.int(PHP_FPM_WORKERS)] as number,
      host: this.host,
      method: init.method ?? 'GET',
      path: init.path,
      query: init.query ?? null,
      protocol: init.client.protocol,
      rawRequestLine: null,
      user: init.loggedUser === undefined ? init.client.user : init.loggedUser,
      controller: init.controller,
      conduitMethod: init.conduitMethod ?? null,
      referrer: init.referrer ?? null,
      userAgent: init.client.userAgent,
      remoteUser: init.remoteUser ?? null,
      phorgeStatus,
      webStatus,
      bytesSent: webStatus === 302 ? REDIRECT_BODY_BYTES : Math.max(0, Math.round(bytes)),
    };
  }

  /** A request only nginx logged: static files, rate limits, garbage, direct /index.php hits. */
  webOnly(init: WebOnlyInit): HttpHappening {
    const durationMs = Math.max(0, init.durationMs);
    return {
      type: 'http',
      startMs: init.startMs,
      endMs: init.startMs + Math.ceil(durationMs),
      durationUs: Math.floor(durationMs * 1000),
      clientIp: init.client.ip,
      pid: 0,
      host: this.host,
      method: init.method ?? 'GET',
      path: init.path,
      query: init.query ?? null,
      protocol: init.client.protocol,
      rawRequestLine: init.rawRequestLine ?? null,
      user: null,
      controller: '',
      conduitMethod: null,
      referrer: init.referrer ?? null,
      userAgent: init.client.userAgent,
      remoteUser: null,
      phorgeStatus: null,
      webStatus: init.webStatus,
      bytesSent: Math.max(0, Math.round(init.bytes)),
    };
  }

  ssh(init: SshInit): SshHappening {
    // A busy host's PID counter climbs steadily; sampling it from the clock keeps SSH PIDs in time order
    // whatever order the sessions are generated in.
    const pid = 41000 + ((Math.floor((init.startMs - this.epochMs) / 1000) * 3 + this.rng.int(3)) % 4150000);
    const durationUs = Math.floor(init.durationMs * 1000) + this.rng.int(1000);
    return {
      type: 'ssh',
      startMs: init.startMs,
      endMs: init.startMs + Math.ceil(durationUs / 1000),
      durationUs,
      pid,
      host: this.host,
      clientIp: init.clientIp,
      systemUser: 'vcs',
      sudoUser: 'phd',
      user: init.user,
      workflow: init.workflow,
      command: init.command,
      failed: init.failed,
      bytesIn: init.bytesIn,
      bytesOut: init.bytesOut,
    };
  }
}
