#!/usr/bin/env node
// Runs dependency-cruiser over src/ with the rules in .dependency-cruiser.cjs, and fails when it
// cruised (almost) nothing or could not resolve a local import: a TypeScript it cannot read would
// otherwise pass silently.
import { execFileSync } from 'node:child_process';

let output;
try {
  output = execFileSync('npx', ['--no-install', 'depcruise', 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
} catch (error) {
  // depcruise exits non-zero on violations but still prints its report.
  output = error.stdout;
}
const result = JSON.parse(output);
const tsModules = result.modules.filter((m) => m.source.startsWith('src/') && m.source.endsWith('.ts'));
const failures = [];

if (tsModules.length < 10)
  failures.push(`cruised only ${tsModules.length} TypeScript modules under src/; the check is not seeing the code`);
for (const m of tsModules) {
  for (const d of m.dependencies) {
    if (d.couldNotResolve && d.module.startsWith('.')) failures.push(`unresolved local import: ${m.source} -> ${d.module}`);
  }
}
for (const v of result.summary.violations) {
  failures.push(`${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (cycle: ${v.cycle.map((c) => c.name ?? c).join(' -> ')})` : ''}`);
}
if (failures.length > 0) {
  for (const f of failures) console.error(`boundaries: ${f}`);
  process.exit(1);
}
console.log(`boundaries: ${tsModules.length} modules, ${result.summary.totalDependenciesCruised} dependencies cruised, no violations`);
