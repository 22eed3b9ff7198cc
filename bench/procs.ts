/**
 * What the benchmark reads from /proc: CPU time and peak memory of the processes it watches
 * (the servers, the S3 gateway's daemons, Chromium's processes by type). Linux only.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux that Node runs on

/** user + system CPU seconds of a process (all its threads), or null once it is gone. */
export function cpuSeconds(pid: number): number | null {
  return statCpu(`/proc/${pid}/stat`);
}

/** CPU seconds of a process's main thread and of all its other threads together (workers, libuv's pool, V8's helpers). */
export function threadSplit(pid: number): { main: number; others: number } | null {
  try {
    let main = 0;
    let others = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const seconds = statCpu(`/proc/${pid}/task/${tid}/stat`) ?? 0;
      if (Number(tid) === pid) main += seconds;
      else others += seconds;
    }
    return { main, others };
  } catch {
    return null;
  }
}

function statCpu(file: string): number | null {
  try {
    const stat = readFileSync(file, 'utf8');
    // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** A process's arguments. Chromium's children rewrite theirs as one space-separated string: split on both. */
function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/).filter(Boolean);
  } catch {
    return [];
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Peak resident memory (VmHWM) in bytes since start or since the last `resetPeak`, or null. */
export function peakRss(pid: number): number | null {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Resets a process's peak RSS to its current RSS (`echo 5 > clear_refs`); false when not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** The process and all its descendants. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const parent = parentOf(pid);
    if (parent !== null) children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
}

/** The Chromium browser process started with this profile directory. */
export function findChromiumBrowser(profileDir: string): number | null {
  for (const pid of allPids()) {
    const args = cmdline(pid);
    if (args.some((arg) => arg === `--user-data-dir=${profileDir}`) && !args.some((arg) => arg.startsWith('--type='))) return pid;
  }
  return null;
}

export type ChromiumRole = 'browser' | 'network' | 'renderer' | 'other';

/** The role of a Chromium process from its command line: `--type=` and the utility's sub-type. */
export function chromiumRole(pid: number): ChromiumRole {
  const args = cmdline(pid);
  const type = args.find((arg) => arg.startsWith('--type='))?.slice('--type='.length);
  if (!type) return args[0]?.includes('chrom') ? 'browser' : 'other';
  if (type === 'renderer') return 'renderer';
  if (type === 'utility' && args.some((arg) => arg.includes('network.mojom.NetworkService'))) return 'network';
  return 'other';
}

/** A named group of processes whose CPU and peak memory are added up. */
export interface Watched {
  name: string;
  pids: () => number[];
}

export interface Sample {
  cpu: Map<string, Map<number, number>>;
}

/** CPU seconds of every watched process, by group and pid. */
export function sample(groups: Watched[]): Sample {
  const cpu = new Map<string, Map<number, number>>();
  for (const group of groups) {
    const byPid = new Map<number, number>();
    for (const pid of group.pids()) {
      const seconds = cpuSeconds(pid);
      if (seconds !== null) byPid.set(pid, seconds);
    }
    cpu.set(group.name, byPid);
  }
  return { cpu };
}

/** CPU seconds spent by each group between two samples; a process born in between counts from zero. */
export function cpuBetween(before: Sample, after: Sample): Record<string, number> {
  const spent: Record<string, number> = {};
  for (const [name, pids] of after.cpu) {
    let total = 0;
    for (const [pid, seconds] of pids) total += seconds - (before.cpu.get(name)?.get(pid) ?? 0);
    spent[name] = total;
  }
  return spent;
}

export function resetPeaks(groups: Watched[]): void {
  for (const group of groups) for (const pid of group.pids()) resetPeak(pid);
}

/** Peak RSS of each group: the sum of its processes' peaks (an upper bound of the group's peak). */
export function peaks(groups: Watched[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const group of groups) result[group.name] = group.pids().reduce((sum, pid) => sum + (peakRss(pid) ?? 0), 0);
  return result;
}

/** The CPU model, as /proc/cpuinfo names it. */
export function cpuModel(): string {
  const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return match?.[1]?.trim() ?? 'unknown';
}
