// The destinations the config asks for, in a fixed order (stdout, alertmanager, webhook:0..N). Adding a
// destination is one file in this folder and one line here.

import type { AlertsConfig } from '../../config/types.js';
import type { Logger } from '../../model/logger.js';
import type { DeliverySink } from '../delivery.js';
import { AlertmanagerSink } from './alertmanager.js';
import { StdoutSink } from './stdout.js';
import { WebhookSink } from './webhook.js';

export function buildSinks(config: AlertsConfig, logger: Logger): DeliverySink[] {
  const sinks: DeliverySink[] = [];
  if (config.stdout) sinks.push(new StdoutSink());
  if (config.alertmanager) sinks.push(new AlertmanagerSink(config.alertmanager, { externalUrl: config.external_url, logger }));
  config.webhooks.forEach((webhook, i) => sinks.push(new WebhookSink(i, webhook, config.external_url)));
  return sinks;
}
