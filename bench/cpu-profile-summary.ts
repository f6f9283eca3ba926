/**
 * Sums a V8 CPU profile (`--cpu-prof`, e.g. from `bench.js --cpu-prof <dir>`) per function and per
 * file, in µs per request: self time (samples whose top frame is the function) and inclusive time
 * (samples with the function anywhere on the stack, counted once per sample).
 *   node dist/bench/cpu-profile-summary.js <file.cpuprofile> --requests <n> [--top 40] [--match <text>]
 * `--requests`: requests the process served while profiled (warm-up included; the bench's
 * `--json` has each run's totalResponses). `--match`: only functions or files containing it.
 * `--stacks <text>`: instead, the heaviest call paths (8 frames up) of the functions matching it.
 * Program, idle and GC appear as V8 names them: `(program)`, `(idle)`, `(garbage collector)`.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { argValue } from './child-ipc.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** µs of samples that were not `(idle)`. */
  busyUs: number;
  /** name -> µs, self. */
  selfByFunction: Map<string, number>;
  selfByFile: Map<string, number>;
  /** name -> µs, the function anywhere on the sampled stack. */
  inclusiveByFunction: Map<string, number>;
  /** The call path (innermost first, 8 frames) of a sample -> µs, for the functions `stacksOf` matches. */
  stacks: Map<string, number>;
}

export const shortUrl = (url: string) => {
  if (url === '') return '(native)';
  const i = url.lastIndexOf('/node_modules/');
  if (i >= 0) return url.slice(i + 14);
  const d = url.indexOf('/dist/');
  return d >= 0 ? url.slice(d + 6) : url.replace(/^file:\/\//, '');
};

const nameOf = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

export function summarize(profile: CpuProfile, stacksOf?: string): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const selfUs = new Map<number, number>();
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    // the delta that follows a sample is the time it stood for
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    if (byId.get(id)?.callFrame.functionName !== '(idle)') busyUs += dt;
  }
  const selfByFunction = new Map<string, number>();
  const selfByFile = new Map<string, number>();
  const inclusiveByFunction = new Map<string, number>();
  const stacks = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (const [id, us] of selfUs) {
    const node = byId.get(id) as ProfileNode;
    add(selfByFunction, nameOf(node), us);
    add(selfByFile, shortUrl(node.callFrame.url), us);
    const seen = new Set<string>();
    const path: string[] = [];
    let hit = false;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = nameOf(byId.get(at) as ProfileNode);
      if (stacksOf !== undefined && name.includes(stacksOf)) hit = true;
      if (path.length < 8) path.push(name);
      if (seen.has(name)) continue;
      seen.add(name);
      add(inclusiveByFunction, name, us);
    }
    if (hit) add(stacks, path.join('\n             < '), us);
  }
  return { busyUs, selfByFunction, selfByFile, inclusiveByFunction, stacks };
}

function top(m: Map<string, number>, n: number, perReq: number, match: string | undefined): string[] {
  return [...m]
    .filter(([k]) => match === undefined || k.includes(match))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `${(us / perReq).toFixed(2).padStart(9)}  ${k}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const file = argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
  const requests = Number(argValue(argv, 'requests'));
  if (file === undefined || !(requests > 0)) {
    console.error('usage: cpu-profile-summary <file.cpuprofile> --requests <n> [--top 40] [--match <text>]');
    process.exit(2);
  }
  const n = Number(argValue(argv, 'top') ?? 40);
  const match = argValue(argv, 'match');
  const stacksOf = argValue(argv, 'stacks');
  const s = summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, stacksOf);
  console.log(`${file}: ${(s.busyUs / requests).toFixed(1)} µs busy per request over ${requests} requests`);
  if (stacksOf !== undefined) {
    console.log(`\nheaviest call paths through ${stacksOf}, µs/req`);
    console.log(top(s.stacks, n, requests, undefined).join('\n'));
    process.exit(0);
  }
  console.log('\nself µs/req, by file');
  console.log(top(s.selfByFile, n, requests, match).join('\n'));
  console.log('\nself µs/req, by function');
  console.log(top(s.selfByFunction, n, requests, match).join('\n'));
  console.log('\ninclusive µs/req, by function');
  console.log(top(s.inclusiveByFunction, n, requests, match).join('\n'));
}
