import fs from 'node:fs';

// CPU time of processes, from /proc: what an order costs, whichever process spends it.

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime of one process, in ms; 0 once it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: fields are counted from after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** A process and every process it started (PostgreSQL's backends are the postmaster's children). */
export function familyOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const family: number[] = [];
  const walk = (pid: number) => {
    family.push(pid);
    for (const child of children.get(pid) ?? []) walk(child);
  };
  walk(root);
  return family;
}

/** CPU ms spent by each kind of process between `start()` and `stop()` (processes may come and go in between). */
export function cpuMeter(kinds: Record<string, () => number[]>) {
  const at = (pids: number[]) => new Map(pids.map((p) => [p, cpuMs(p)]));
  let before = new Map<string, Map<number, number>>();
  return {
    start() {
      before = new Map(Object.entries(kinds).map(([kind, pids]) => [kind, at(pids())]));
    },
    stop(): Record<string, number> {
      const spent: Record<string, number> = {};
      for (const [kind, pids] of Object.entries(kinds)) {
        const was = before.get(kind) ?? new Map();
        spent[kind] = pids().reduce((sum, pid) => sum + cpuMs(pid) - (was.get(pid) ?? 0), 0);
      }
      return spent;
    },
  };
}
