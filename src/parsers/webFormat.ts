// What nginx `log_format` and Apache `LogFormat` strings compile to: literals and typed variables. The two
// compilers (nginx.ts, apache.ts) only translate their syntax into this; webLineParser.ts does the rest.

/** The meaning of a variable, independent of the server that wrote it. */
export const WebField = {
  ignore: 0,
  /** remote host or address: nginx $remote_addr, Apache %h */
  client: 1,
  /** the client's IP: Apache %a */
  clientIp: 2,
  /** the connection's peer address: Apache %{c}a, nginx $realip_remote_addr */
  peerIp: 3,
  /** an X-Forwarded-For style list */
  forwardedFor: 4,
  remoteUser: 5,
  /** a timestamp; the variable carries its reader */
  time: 6,
  /** milliseconds to add to the timestamp (Apache %{msec_frac}t / %{usec_frac}t) */
  timeFraction: 7,
  /** the request line */
  request: 8,
  method: 9,
  /** the path, already percent-decoded by the server (nginx $uri, Apache %U) */
  decodedPath: 10,
  /** path and query as sent (nginx $request_uri) */
  uri: 11,
  /** query string without `?` (nginx $args) */
  query: 12,
  /** query string with its `?`, or empty (Apache %q) */
  queryWithMark: 13,
  protocol: 14,
  status: 15,
  /** status before internal redirects (Apache %s / %<s) */
  originalStatus: 16,
  bodyBytes: 17,
  bytesOut: 18,
  bytesIn: 19,
  durationSeconds: 20,
  durationMillis: 21,
  durationMicros: 22,
  /** nginx $upstream_response_time: seconds, possibly a list */
  upstreamSeconds: 23,
  referrer: 24,
  userAgent: 25,
  /** the Host the request was for (nginx $host, Apache %V) */
  hostHeader: 26,
  /** the configured server name (nginx $server_name, Apache %v) */
  serverName: 27,
  /** Apache's `%U%q` idiom: the decoded path followed by `?query` or nothing */
  decodedPathAndQuery: 28,
} as const;

export type WebFieldKind = (typeof WebField)[keyof typeof WebField];

export interface WebVariable {
  kind: WebFieldKind;
  /** as written in the format (`$status`, `%>s`), for messages */
  name: string;
  /** CHECK_* from fieldScanner.ts */
  check: number;
  /** for `time` (ms since epoch) and `timeFraction` (ms to add): NaN when unreadable */
  readTime: ((text: string) => number) | null;
}

export interface WebFormat {
  literals: string[];
  variables: WebVariable[];
  escaping: 'nginx' | 'apache';
}

/** The kinds that may start a line and carry a vhost prefix or an address list (see clientAddress.ts). */
export function isClientKind(kind: WebFieldKind): boolean {
  return kind === WebField.client || kind === WebField.clientIp || kind === WebField.peerIp;
}
