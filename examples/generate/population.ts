// The cast of a synthetic Phorge install: people with home zones and habits, bots, their API tokens,
// and the pool of client addresses. Built once from the seed; the traffic model only reads it.

import type { TokenType } from '../../src/model/event.js';
import { BROWSER_USER_AGENTS, SCRIPT_METHODS, SCRIPT_USER_AGENTS } from './catalog.js';
import { Prng } from './prng.js';

export interface Token {
  /** the raw value: FAKE, drawn from the seeded generator */
  value: string;
  type: TokenType;
  name: string;
  /** ms since epoch, null for never */
  expiresAt: number | null;
  owner: string;
}

export interface Person {
  username: string;
  phid: string;
  /** numeric user id (as in /people/manage/<id>/) */
  userId: number;
  zone: string;
  isAdmin: boolean;
  isDisabled: boolean;
  /** office NAT address, or null for people who work remotely */
  officeIp: string | null;
  homeIp: string;
  /** where this person's arc and scripts always run from (office if any, else home) */
  workIp: string;
  /** local working hours, minutes after midnight; always inside 08:00-19:00 */
  workStartMinute: number;
  workEndMinute: number;
  /** browses a little in the evening (20:00-23:00 local), never with a token */
  lateEvening: boolean;
  /** relative activity level */
  intensity: number;
  browserUserAgent: string;
  /** cli- token installed with `arc install-certificate`, or null */
  arcToken: Token | null;
  script: PersonalScript | null;
  /** clones over HTTP with a VCS password (nginx shows the user as $remote_user) */
  gitOverHttp: boolean;
  /** every token registered to this person, live or not */
  tokens: Token[];
}

/** A person's own automation: a cron job or a laptop script calling Conduit with an api- token. */
export interface PersonalScript {
  tokens: Token[];
  /** sends `?api.token=` in the query string, so nginx logs the token */
  tokenInQuery: boolean;
  userAgent: string;
  methods: readonly string[];
  /** which token the next call uses (the one piece of usage state the traffic model keeps in the cast) */
  tokenCursor: number;
}

export interface Bot {
  username: string;
  phid: string;
  userId: number;
  /** registry flag; ci-bot is an ordinary account declared a bot in phabwatch.yaml */
  isSystemAgent: boolean;
  addresses: readonly string[];
  token: Token;
  userAgent: string | null;
  tokenInQuery: boolean;
}

/** Zones people live in, with their share of a generated population. */
const ZONE_SHARES: ReadonlyArray<readonly [string, number]> = [
  ['America/New_York', 0.62], ['Europe/Berlin', 0.14], ['Asia/Kolkata', 0.12], ['America/Los_Angeles', 0.12],
];

/** Office NAT addresses per zone (RFC 5737 TEST-NET-3); LA has no office. */
const OFFICE_ADDRESSES: Readonly<Record<string, readonly string[]>> = {
  'America/New_York': ['203.0.113.10', '203.0.113.11'],
  'Europe/Berlin': ['203.0.113.40'],
  'Asia/Kolkata': ['203.0.113.70'],
};

const FIRST_NAMES: readonly string[] = [
  'aaron', 'beth', 'chen', 'diana', 'eli', 'fatima', 'gabe', 'hana', 'isaac', 'jonas', 'kai', 'leah', 'marco',
  'nina', 'omar', 'paula', 'quinn', 'rosa', 'sven', 'tara', 'uma', 'victor', 'wen', 'xavier', 'yusuf', 'zoe',
  'anil', 'bianca', 'dmitri', 'emma', 'felix', 'greta', 'hugo', 'ines', 'jamal', 'kenji', 'lucia', 'mia',
  'noah', 'olga', 'pedro', 'rahul', 'sofia', 'theo', 'ursula', 'vera', 'will', 'yara',
];

/** People the planted scenarios need, with the habits the scenarios rely on. */
interface NamedPerson {
  username: string;
  zone: string;
  office: boolean;
  admin?: boolean;
  disabled?: boolean;
  arc?: boolean;
  script?: { tokenInQuery: boolean; userAgent: string; name: string };
  gitOverHttp?: boolean;
  lateEvening?: boolean;
}

export const NAMED_PEOPLE: readonly NamedPerson[] = [
  { username: 'alice', zone: 'Europe/Berlin', office: true, arc: true },
  { username: 'bob', zone: 'America/New_York', office: true, arc: true },
  { username: 'carol', zone: 'America/New_York', office: true, arc: true, lateEvening: true },
  { username: 'dave', zone: 'America/New_York', office: true, arc: true,
    script: { tokenInQuery: true, userAgent: 'curl/8.5.0', name: 'sprint dashboard' } },
  { username: 'erin', zone: 'America/New_York', office: true, arc: true, gitOverHttp: true },
  { username: 'frank', zone: 'America/New_York', office: false, arc: true },
  { username: 'grace', zone: 'America/New_York', office: true, admin: true, arc: true },
  { username: 'heidi', zone: 'Europe/Berlin', office: true, arc: true },
  { username: 'ivan', zone: 'America/New_York', office: false },
  { username: 'judy', zone: 'America/Los_Angeles', office: false, arc: true, gitOverHttp: true },
  { username: 'kim', zone: 'America/New_York', office: true, arc: true },
  { username: 'mallory', zone: 'America/New_York', office: false, disabled: true,
    script: { tokenInQuery: true, userAgent: 'python-requests/2.25.1', name: 'nightly export' } },
  { username: 'neha', zone: 'Asia/Kolkata', office: true, arc: true },
  { username: 'olivia', zone: 'America/New_York', office: true },
  { username: 'priya', zone: 'Asia/Kolkata', office: false, arc: true,
    script: { tokenInQuery: false, userAgent: 'python-requests/2.31.0', name: 'triage helper' } },
  { username: 'sam', zone: 'America/Los_Angeles', office: false, arc: true,
    script: { tokenInQuery: false, userAgent: 'Go-http-client/1.1', name: 'release notes' } },
  { username: 'oscar', zone: 'America/New_York', office: true },
  { username: 'arjun', zone: 'Asia/Kolkata', office: true, arc: true, gitOverHttp: true },
  { username: 'lena', zone: 'Europe/Berlin', office: false, arc: true, lateEvening: true },
  { username: 'tom', zone: 'America/Los_Angeles', office: false, arc: true },
];

export interface CastOptions {
  people: number;
  bots: number;
  /** registry size; null for exactly the cast's own tokens */
  tokens: number | null;
  addresses: number;
  /** end of the generated day; the cluster token's expiry is set just after it */
  dayEndMs: number;
}

/** Client addresses of the outside world: RFC 2544's 198.18.0.0/15, then 100.64.0.0/10, with some IPv6. */
export class AddressPool {
  private readonly cache: (string | undefined)[];
  private visitorCursor = 0;
  private readonly visitorStride: number;

  /** `reserved` leading addresses are people's homes; visitors cycle through the rest. */
  constructor(readonly size: number, private readonly reserved: number) {
    this.cache = new Array<string | undefined>(size);
    const span = Math.max(1, size - reserved);
    // A stride coprime with the span walks every visitor address once per cycle, in a scattered order.
    let stride = Math.max(1, Math.floor(span * 0.6180339887));
    while (gcd(stride, span) !== 1) stride++;
    this.visitorStride = stride;
  }

  at(index: number): string {
    const cached = this.cache[index];
    if (cached !== undefined) return cached;
    const address = addressForIndex(index);
    this.cache[index] = address;
    return address;
  }

  /** The next anonymous visitor's address: every pool address is used before any repeats. */
  nextVisitor(): string {
    const span = Math.max(1, this.size - this.reserved);
    const offset = (this.visitorCursor * this.visitorStride) % span;
    this.visitorCursor++;
    return this.at(this.size > this.reserved ? this.reserved + offset : offset % this.size);
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function addressForIndex(index: number): string {
  if (index % 23 === 11) {
    return `2001:db8:${(index >>> 12).toString(16)}:${(index & 0xfff).toString(16)}::${((index * 7) & 0xffff).toString(16)}`;
  }
  const v4 = index + 1;
  if (v4 < 131070) {
    return `198.${18 + (v4 >>> 16)}.${(v4 >>> 8) & 255}.${v4 & 255}`;
  }
  const cg = v4 - 131070 + 1;
  if (cg >= 1 << 22) throw new RangeError(`address pool index ${index} is beyond the synthetic address space`);
  return `100.${64 + (cg >>> 16)}.${(cg >>> 8) & 255}.${cg & 255}`;
}

export interface Cast {
  people: Person[];
  peopleByName: Map<string, Person>;
  bots: Bot[];
  botsByName: Map<string, Bot>;
  /** every registry row, in export order */
  tokens: Token[];
  addresses: AddressPool;
}

const NAMED_BOTS = ['ci-bot', 'phabricator-bot', 'cluster-sync'] as const;

function newToken(rng: Prng, type: TokenType, owner: string, name: string, expiresAt: number | null): Token {
  return { value: `${type}-${rng.base32(28)}`, type, name, expiresAt, owner };
}

/** Builds people, bots, tokens and addresses; throws RangeError when the counts cannot hold the cast. */
export function buildCast(seed: Prng, options: CastOptions): Cast {
  if (options.people < NAMED_PEOPLE.length) {
    throw new RangeError(`people must be at least ${NAMED_PEOPLE.length} (the named cast), got ${options.people}`);
  }
  if (options.bots < NAMED_BOTS.length) {
    throw new RangeError(`bots must be at least ${NAMED_BOTS.length} (${NAMED_BOTS.join(', ')}), got ${options.bots}`);
  }
  if (options.addresses < options.people + 16) {
    throw new RangeError(`addresses must be at least people + 16 (${options.people + 16}), got ${options.addresses}`);
  }
  const rng = seed.fork('cast');
  const addresses = new AddressPool(options.addresses, options.people);
  const tokens: Token[] = [];
  const people: Person[] = [];
  const usedNames = new Set<string>();
  const userIds = shuffledIds(rng, options.people + options.bots);
  let idCursor = 0;

  for (let i = 0; i < options.people; i++) {
    const named = NAMED_PEOPLE[i];
    const username = named?.username ?? generatedName(i, usedNames);
    usedNames.add(username);
    const zone = named?.zone ?? drawZone(rng, ZONE_SHARES);
    const offices = OFFICE_ADDRESSES[zone];
    const inOffice = named !== undefined ? named.office : offices !== undefined && rng.chance(0.7);
    const officeIp = inOffice && offices !== undefined ? rng.pick(offices) : null;
    const homeIp = addresses.at(i);
    const workStartMinute = 480 + rng.int(121);
    const workEndMinute = Math.min(1130, workStartMinute + 450 + rng.int(91));
    const person: Person = {
      username,
      phid: `PHID-USER-${rng.base32(20)}`,
      userId: userIds[idCursor++] as number,
      zone,
      isAdmin: named?.admin ?? false,
      isDisabled: named?.disabled ?? false,
      officeIp,
      homeIp,
      workIp: officeIp ?? homeIp,
      workStartMinute,
      workEndMinute,
      lateEvening: named?.lateEvening ?? rng.chance(0.12),
      intensity: Math.min(4, Math.max(0.2, rng.logNormal(1, 0.5))),
      browserUserAgent: rng.pick(BROWSER_USER_AGENTS),
      arcToken: null,
      script: null,
      gitOverHttp: named?.gitOverHttp ?? rng.chance(0.2),
      tokens: [],
    };
    const usesArc = named !== undefined ? named.arc === true : rng.chance(0.55);
    if (usesArc) {
      person.arcToken = newToken(rng, 'cli', username, 'Command Line API Token', null);
      person.tokens.push(person.arcToken);
    }
    const scriptSpec = named !== undefined
      ? named.script
      : rng.chance(0.2)
        ? { tokenInQuery: rng.chance(0.4), userAgent: rng.pick(SCRIPT_USER_AGENTS), name: 'Standard API Token' }
        : undefined;
    if (scriptSpec !== undefined) {
      const token = newToken(rng, 'api', username, scriptSpec.name, null);
      person.tokens.push(token);
      person.script = {
        tokens: [token],
        tokenInQuery: scriptSpec.tokenInQuery,
        userAgent: scriptSpec.userAgent,
        methods: pickScriptMethods(rng),
        tokenCursor: 0,
      };
    }
    people.push(person);
  }

  const peopleByName = new Map(people.map((p) => [p.username, p]));
  addSpecialTokens(rng, peopleByName);

  const bots: Bot[] = [];
  const ciBot: Bot = {
    username: 'ci-bot', phid: `PHID-USER-${rng.base32(20)}`, userId: userIds[idCursor++] as number,
    isSystemAgent: false, addresses: ['10.20.0.51', '10.20.0.52', '10.20.0.53'],
    token: newToken(rng, 'api', 'ci-bot', 'jenkins', null), userAgent: 'Jenkins-Phorge-Plugin/2.1.5 (Java/17.0.13)',
    tokenInQuery: false,
  };
  const chatBot: Bot = {
    username: 'phabricator-bot', phid: `PHID-USER-${rng.base32(20)}`, userId: userIds[idCursor++] as number,
    isSystemAgent: true, addresses: ['10.20.0.30'],
    token: newToken(rng, 'api', 'phabricator-bot', 'chat bot', null), userAgent: 'python-requests/2.31.0',
    tokenInQuery: true,
  };
  const clusterSync: Bot = {
    username: 'cluster-sync', phid: `PHID-USER-${rng.base32(20)}`, userId: userIds[idCursor++] as number,
    isSystemAgent: true, addresses: ['10.0.4.11', '10.0.4.12'],
    // Cluster tokens live 30 minutes and are renewed; the export shows the one current at day end.
    token: newToken(rng, 'clr', 'cluster-sync', 'Cluster API Token', options.dayEndMs + 25 * 60000),
    userAgent: null, tokenInQuery: false,
  };
  bots.push(ciBot, chatBot, clusterSync);
  for (let i = NAMED_BOTS.length; i < options.bots; i++) {
    const username = `poller-${String(i - NAMED_BOTS.length + 1).padStart(2, '0')}`;
    bots.push({
      username, phid: `PHID-USER-${rng.base32(20)}`, userId: userIds[idCursor++] as number, isSystemAgent: true,
      addresses: [`10.20.${1 + ((i >>> 8) & 255)}.${i & 255}`],
      token: newToken(rng, 'api', username, 'Standard API Token', null), userAgent: rng.pick(SCRIPT_USER_AGENTS),
      tokenInQuery: rng.chance(0.5),
    });
  }

  for (const person of people) tokens.push(...person.tokens);
  for (const bot of bots) tokens.push(bot.token);
  if (options.tokens !== null) addExtraTokens(rng, people, tokens, options.tokens);

  return { people, peopleByName, bots, botsByName: new Map(bots.map((b) => [b.username, b])), tokens, addresses };
}

/** The tokens the registry export must show in special states: revoked, expired. */
function addSpecialTokens(rng: Prng, peopleByName: Map<string, Person>): void {
  const kim = peopleByName.get('kim');
  if (kim !== undefined) {
    // Revoking sets `expires` to a minute before the click (2026-11-20 16:02:11 New York).
    kim.tokens.push(newToken(rng, 'api', 'kim', 'old build script', Date.UTC(2026, 10, 20, 21, 1, 11)));
  }
  const oscar = peopleByName.get('oscar');
  if (oscar !== undefined) {
    // A cli- token never used within its first hour expires an hour after creation.
    oscar.tokens.push(newToken(rng, 'cli', 'oscar', 'Command Line API Token', Date.UTC(2026, 8, 14, 16, 20, 4)));
  }
}

/**
 * Tops the registry up to `total` with more api- tokens, dealt round-robin to people whose scripts put
 * the token in the query string (people without a script get one), so the extra tokens appear in
 * nginx's log: this is the benchmark's large-cardinality knob.
 */
function addExtraTokens(rng: Prng, people: Person[], tokens: Token[], total: number): void {
  if (total < tokens.length) {
    throw new RangeError(`tokens must be at least ${tokens.length} (the cast's own tokens), got ${total}`);
  }
  if (total === tokens.length) return;
  const holders = people.filter((p) => !p.isDisabled && (p.script === null || p.script.tokenInQuery) &&
    !NAMED_PEOPLE.some((named) => named.username === p.username));
  if (holders.length === 0) throw new RangeError('tokens: no generated person can hold extra tokens; raise people');
  let i = 0;
  while (tokens.length < total) {
    const person = holders[i % holders.length] as Person;
    if (person.script === null) {
      person.script = { tokens: [], tokenInQuery: true, userAgent: rng.pick(SCRIPT_USER_AGENTS), methods: pickScriptMethods(rng), tokenCursor: 0 };
    }
    const token = newToken(rng, 'api', person.username, 'Standard API Token', null);
    person.tokens.push(token);
    person.script.tokens.push(token);
    tokens.push(token);
    i++;
  }
}

function pickScriptMethods(rng: Prng): string[] {
  const methods = new Set<string>();
  const count = 1 + rng.int(3);
  while (methods.size < count) methods.add((rng.pick(SCRIPT_METHODS) as readonly [string, number])[0]);
  return [...methods];
}

function drawZone(rng: Prng, shares: ReadonlyArray<readonly [string, number]>): string {
  let u = rng.next();
  for (const [zone, share] of shares) {
    if (u < share) return zone;
    u -= share;
  }
  return (shares[0] as readonly [string, number])[0];
}

function generatedName(index: number, used: Set<string>): string {
  const base = FIRST_NAMES[index % FIRST_NAMES.length] as string;
  const round = Math.floor(index / FIRST_NAMES.length);
  let name = round === 0 ? base : `${base}${round + 1}`;
  while (used.has(name)) name = `${name}x`;
  return name;
}

function shuffledIds(rng: Prng, count: number): number[] {
  const ids = Array.from({ length: count }, (_, i) => i + 2);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
  }
  return ids;
}
