import type { HttpClient } from './http.js';

/** The value of one Prometheus sample at /metrics (0 when absent), matched by name and exact labels. */
export async function metricValue(http: HttpClient, name: string, labels: Record<string, string>): Promise<number> {
  const res = await http.get('/metrics');
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of res.text.split('\n')) {
    if (wanted.length === 0 && line.startsWith(`${name} `)) return Number(line.slice(name.length + 1));
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.indexOf('}'));
    const present = labelText.split(',');
    if (wanted.every((w) => present.includes(w)) && present.length === wanted.length) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}
