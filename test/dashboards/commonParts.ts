// What both dashboards share: their variables and the label filters every query starts from.

import { datasourceVariable, labelVariable, type VariableJson } from './grafanaJson.js';

/** Filter for metrics with a `source` attribute. */
export const BY_SOURCE = 'job=~"$job", source=~"$source"';
/** Filter for metrics without one (alerts, deliveries, commit duration). */
export const BY_JOB = 'job=~"$job"';

export function commonVariables(): VariableJson[] {
  return [
    datasourceVariable(),
    labelVariable(
      'job',
      'Job',
      'Prometheus job of the phabwatch agents (the scrape job name, or service.name through the collector)',
      'label_values(phabwatch_lines_total, job)',
    ),
    labelVariable(
      'source',
      'Source',
      'Configured log sources. A request is counted once per log that records it: pick one source to avoid counting the Phorge and web server views of it twice',
      'label_values(phabwatch_lines_total{job=~"$job"}, source)',
    ),
  ];
}
