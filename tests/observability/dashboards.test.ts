import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from '../../harness/processes.js';
import { startApp, type TestApp } from '../support/app.js';

const RULES = path.join(root, 'deploy/prometheus/alerts.yml');
const RULE_TESTS = path.join(root, 'deploy/prometheus/alerts.test.yml');
const DASHBOARD = path.join(root, 'deploy/grafana/orderly.json');

/** Metric names a PromQL text refers to (a histogram's series by the histogram's name). */
function metricNames(promql: string): string[] {
  const names = promql.match(/\b(?:orderly_[a-z_]+|http_request_duration_seconds[a-z_]*)\b/g) ?? [];
  return names.map((n) => n.replace(/_(bucket|count|sum)$/, ''));
}

const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
// Recording rules' own names (orderly:…) are not metrics; the expressions they are built from are.
const rules = fs.readFileSync(RULES, 'utf8').replace(/orderly:[a-z_:0-9]+/g, '');

function promtool(): string | null {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return 'promtool';
  } catch {
    if (process.env.CI) throw new Error('CI must check the alert rules: install promtool (Debian package prometheus; .ci/run does)');
    return null;
  }
}

describe('dashboard and alert rules', () => {
  let app: TestApp;
  let exported: Set<string>;

  beforeAll(async () => {
    // Configured as a shop would be: scheduled backups on, so their metrics are there to check.
    app = await startApp('sqlite', { ORDERLY_BACKUP_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-dashboard-backups-')) });
    const text = (await app.http.get('/metrics')).text;
    exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
  });
  afterAll(() => app?.stop());

  it('name only metrics a running Orderly exports', () => {
    const named = new Set([...dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr))), ...metricNames(rules)]);
    expect(named.size).toBeGreaterThan(20);
    const missing = [...named].filter((n) => !exported.has(n));
    expect(missing).toEqual([]);
  });

  it('cover traffic, errors, latency, orders, saga steps, backlog, breakers, cache, webhooks and notifications', () => {
    const all = dashboard.panels.map((p) => `${p.title} ${p.targets.map((t) => t.expr).join(' ')}`).join('\n');
    for (const metric of [
      'http_request_duration_seconds_count',
      'http_request_duration_seconds_bucket',
      'orderly_orders_completed_total',
      'orderly_saga_step_seconds',
      'orderly_consumer_pending',
      'orderly_message_lag_seconds',
      'orderly_breaker_state',
      'orderly_cache_hit_ratio',
      'orderly_webhook_endpoint_attempts_total',
      'orderly_notifications_total',
    ])
      expect(all).toContain(metric);
  });

  const tool = promtool();
  it.runIf(tool)('are valid rules whose unit tests pass (promtool)', () => {
    expect(execFileSync(tool!, ['check', 'rules', RULES], { encoding: 'utf8' })).toContain('SUCCESS');
    expect(execFileSync(tool!, ['test', 'rules', RULE_TESTS], { encoding: 'utf8' })).toContain('SUCCESS');
  });
});
