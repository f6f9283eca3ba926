/**
 * CPU time of a process tree from /proc (Linux). /proc/<pid>/stat utime+stime covers every thread
 * of the process (worker threads included); descendants found through
 * /proc/<pid>/task/<tid>/children are added, so a target that forks helpers is charged for them.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | null = null;

function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** user+system CPU of one process (all its threads), ms; null when it is gone or /proc is missing. */
export function processCpuMs(pid: number): number | null {
  return statCpuMs(`/proc/${pid}/stat`);
}

/**
 * user+system CPU of a process's main thread alone (its JavaScript event loop: not the worker
 * threads, such as ccflare's record writer, nor libuv's pool), ms; null when it cannot be read.
 */
export function mainThreadCpuMs(pid: number): number | null {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuMs(path: string): number | null {
  let stat: string;
  try {
    stat = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  // the command name (field 2) may hold spaces and parentheses: parse after the last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return ((utime + stime) * 1000) / clockTicks();
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) {
        const n = Number(c);
        if (c.length > 0 && Number.isInteger(n)) out.push(n);
      }
    } catch {
      // task ended meanwhile
    }
  }
  return out;
}

/** CPU ms of pid and all its live descendants; null when pid itself cannot be read. */
export function treeCpuMs(pid: number): number | null {
  const own = processCpuMs(pid);
  if (own === null) return null;
  let total = own;
  const seen = new Set<number>([pid]);
  const queue = childrenOf(pid);
  while (queue.length > 0) {
    const p = queue.pop() as number;
    if (seen.has(p)) continue;
    seen.add(p);
    total += processCpuMs(p) ?? 0;
    queue.push(...childrenOf(p));
  }
  return total;
}

/** Busy (non-idle, non-iowait) CPU ms of the whole machine, all cores, from /proc/stat; null without /proc. */
export function machineBusyMs(): number | null {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  const line = text.slice(0, text.indexOf('\n'));
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = v;
  return ((user + nice + system + irq + softirq + steal) * 1000) / clockTicks();
}
