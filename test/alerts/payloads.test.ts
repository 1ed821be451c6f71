// What each destination receives: the Alertmanager v2 alert (labels, annotations, startsAt/endsAt rules,
// generatorURL), the webhook JSON, the Slack text, and the stdout line.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertmanagerAlert, alertmanagerBody, ENDS_AT_RESENDS, labelName } from '../../src/alerts/sinks/alertmanager.js';
import type { AlertNotification } from '../../src/alerts/sinks/sink.js';
import { stdoutLine } from '../../src/alerts/sinks/stdout.js';
import { slackText, webhookPayload } from '../../src/alerts/sinks/webhook.js';
import { evidence } from './helpers.js';

const FIRED = Date.UTC(2026, 10, 24, 7, 12, 32);
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const RESEND = 60_000;

function alert(overrides: Partial<AlertNotification['alert']> = {}): AlertNotification['alert'] {
  return {
    id: 2, ruleId: 'login-bruteforce', severity: 'warning', state: 'firing',
    labels: { client_ip: '198.51.100.66', category: 'security' },
    summary: '22 failed password logins from 198.51.100.66 within 15m (bound 20)',
    annotations: { summary: '{{value}} failed logins', runbook_url: 'docs/runbooks/login-bruteforce.md', description: 'Password guessing from one address.' },
    startedAt: FIRED - 30_000, firedAt: FIRED, endedAt: null, evidence: evidence(FIRED),
    samples: [{ eventId: 7, ts: FIRED - 1000, source: 'web', fileId: 1, offset: 120, raw: '198.51.100.66 - - [24/Nov/2026:07:12:31 +0000] "POST /auth/login/ HTTP/1.1" 200' }],
    ...overrides,
  };
}

function notification(kind: AlertNotification['kind'], at: number, a = alert()): AlertNotification {
  return { id: 17, kind, at, alert: a };
}

test('Alertmanager: labels are the rule id, the severity, the group values and rule labels; the rest goes in annotations', () => {
  const am = alertmanagerAlert(alert({ labels: { client_ip: '198.51.100.66', 'team-name': 'sec', '9lives': 'x', empty: '' } }), null, NOW, RESEND, null);
  assert.deepEqual(am.labels, { client_ip: '198.51.100.66', team_name: 'sec', _9lives: 'x', alertname: 'login-bruteforce', severity: 'warning' });
  assert.equal(am.annotations.summary, '22 failed password logins from 198.51.100.66 within 15m (bound 20)');
  assert.equal(am.annotations.description, 'Password guessing from one address.');
  assert.equal(am.annotations.value, '21');
  assert.equal(am.annotations.alert_id, '2');
  assert.deepEqual(JSON.parse(am.annotations.evidence!), {
    value: 21, bound: 20, window: `${new Date(FIRED - 600_000).toISOString()}/${new Date(FIRED).toISOString()}`, window_length: '10m',
    first: new Date(FIRED - 500_000).toISOString(), last: new Date(FIRED).toISOString(), matched_events: 21, late_events: 1, samples: 1,
  });
  assert.ok(!Object.values(am.labels).includes('21'), 'the value is not a label');
  assert.equal(labelName('ok_name'), 'ok_name');
});

test('Alertmanager: a firing alert starts when it fired and ends four resends ahead; a resolved one ends when it resolved', () => {
  const firing = alertmanagerAlert(alert(), null, NOW, RESEND, null);
  assert.equal(firing.startsAt, '2026-11-24T07:12:32Z');
  assert.equal(firing.endsAt, new Date(NOW + ENDS_AT_RESENDS * RESEND).toISOString().replace('.000Z', 'Z'));
  assert.equal(ENDS_AT_RESENDS, 4);
  const resolvedAt = FIRED + 1_800_000;
  const resolved = alertmanagerAlert(alert({ state: 'resolved', endedAt: resolvedAt }), resolvedAt, NOW, RESEND, null);
  assert.equal(resolved.startsAt, firing.startsAt);
  assert.equal(resolved.endsAt, '2026-11-24T07:42:32Z');

  // A batch: firing and renotify as active alerts, resolved as ended, each as the notification says.
  const a = alert({ state: 'resolved', endedAt: resolvedAt });
  const body = alertmanagerBody([notification('firing', FIRED, a), notification('renotify', FIRED + 600_000, a), notification('resolved', resolvedAt, a)], NOW, RESEND, null);
  assert.deepEqual(body.map((x) => Date.parse(x.endsAt) > NOW), [true, true, false]);
});

test('Alertmanager: times ahead of the wall clock are brought back to now, so a resolve is never left active', () => {
  const future = NOW + 3_600_000;
  const firing = alertmanagerAlert(alert({ firedAt: future, startedAt: future }), null, NOW, RESEND, null);
  assert.equal(Date.parse(firing.startsAt), NOW);
  assert.equal(Date.parse(firing.endsAt), NOW + 4 * RESEND);
  const resolved = alertmanagerAlert(alert({ firedAt: future, startedAt: future }), future + 60_000, NOW, RESEND, null);
  assert.equal(Date.parse(resolved.endsAt), NOW);
  assert.ok(Date.parse(resolved.endsAt) >= Date.parse(resolved.startsAt), 'never ends before it starts');
});

test('Alertmanager: generatorURL and runbook follow external_url, or name the alert with a phabwatch:// URL', () => {
  const withUrl = alertmanagerAlert(alert(), null, NOW, RESEND, 'https://phabwatch.example.com/');
  assert.equal(withUrl.generatorURL, 'https://phabwatch.example.com/alerts/2');
  assert.equal(withUrl.annotations.runbook_url, 'https://phabwatch.example.com/docs/runbooks/login-bruteforce.md');
  const without = alertmanagerAlert(alert(), null, NOW, RESEND, null);
  assert.equal(without.generatorURL, 'phabwatch://alerts/2');
  assert.equal(without.annotations.runbook_url, 'docs/runbooks/login-bruteforce.md');
  const absolute = alertmanagerAlert(alert({ annotations: { runbook_url: 'https://wiki.example.com/rb', description: null } }), null, NOW, RESEND, 'https://x.example');
  assert.equal(absolute.annotations.runbook_url, 'https://wiki.example.com/rb');
  assert.equal(absolute.annotations.description, undefined, 'a null annotation is left out');
});

test('webhook JSON: the notification id, its kind and time, the alert now, its evidence and masked sample lines', () => {
  const resolvedAt = FIRED + 1_800_000;
  const body = webhookPayload(notification('firing', FIRED, alert({ state: 'resolved', endedAt: resolvedAt })), 'https://phabwatch.example.com');
  assert.equal(body.version, 1);
  assert.equal(body.id, 17);
  assert.equal(body.kind, 'firing');
  assert.equal(body.at, '2026-11-24T07:12:32Z');
  assert.equal(body.alert.state, 'resolved');
  assert.equal(body.alert.rule_id, 'login-bruteforce');
  assert.equal(body.alert.fired_at, '2026-11-24T07:12:32Z');
  assert.equal(body.alert.ended_at, '2026-11-24T07:42:32Z');
  assert.equal(body.alert.url, 'https://phabwatch.example.com/alerts/2');
  assert.equal(body.alert.annotations.runbook_url, 'https://phabwatch.example.com/docs/runbooks/login-bruteforce.md');
  assert.equal(body.alert.annotations.summary, body.alert.summary, 'the summary as it is now, not as first rendered');
  assert.equal(body.alert.annotations.description, 'Password guessing from one address.');
  assert.deepEqual(body.alert.evidence, evidence(FIRED));
  assert.deepEqual(body.samples, [{ event_id: 7, time: '2026-11-24T07:12:31Z', source: 'web', raw: alert().samples[0]!.raw }]);
  assert.deepEqual(JSON.parse(JSON.stringify(body)), body, 'plain JSON');
});

test('Slack text: what happened, to which rule, the summary, labels, times and links, with mrkdwn escaped', () => {
  const text = slackText(notification('firing', FIRED, alert({ summary: 'a <script> & "x"\u001b[31m' })), 'https://phabwatch.example.com');
  const [head, summary, facts] = text.split('\n');
  assert.equal(head, ':red_circle: *FIRING* warning `login-bruteforce`');
  assert.equal(summary, 'a &lt;script&gt; &amp; "x"\\x1b[31m');
  assert.equal(facts, 'client_ip=198.51.100.66 · category=security · fired 2026-11-24T07:12:32Z · '
    + '<https://phabwatch.example.com/alerts/2|alert 2> · <https://phabwatch.example.com/docs/runbooks/login-bruteforce.md|runbook>');
  const resolved = slackText(notification('resolved', FIRED + 1_800_000), null);
  assert.match(resolved, /^:large_green_circle: \*RESOLVED\* warning `login-bruteforce`\n/);
  assert.match(resolved, /resolved 2026-11-24T07:42:32Z \(fired 2026-11-24T07:12:32Z\) · alert 2 · runbook: docs\/runbooks\/login-bruteforce.md$/);
  assert.match(slackText(notification('renotify', FIRED + 3_600_000), null), /^:repeat: \*STILL FIRING\*/);
});

test('stdout: one readable line per notification, control characters escaped', () => {
  assert.equal(stdoutLine(notification('firing', FIRED)),
    '2026-11-24T07:12:32Z FIRING warning login-bruteforce client_ip=198.51.100.66 category=security: 22 failed password logins from 198.51.100.66 within 15m (bound 20) (alert 2)');
  assert.match(stdoutLine(notification('resolved', FIRED + 60_000)), /^2026-11-24T07:13:32Z RESOLVED warning login-bruteforce /);
  const hostile = stdoutLine(notification('renotify', FIRED, alert({ labels: { path: '/x\n2026-01-01T00:00:00Z FIRING fake' } })));
  assert.ok(!hostile.includes('\n'), 'a newline in a label cannot forge a second line');
  assert.match(hostile, /STILL-FIRING warning login-bruteforce path=\/x\\x0a2026/);
});
