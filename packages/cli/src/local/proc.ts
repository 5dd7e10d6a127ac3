import { readFileSync, readdirSync } from "node:fs";

/**
 * The processes a task started, read from /proc. A task's entrypoint may start nmap in a process group
 * (and session) of its own, so killing the entrypoint's group does not reach it, and once the entrypoint
 * is gone nmap is reparented and no longer findable from it: the tree is read while the entrypoint lives,
 * and each process is identified by pid and start time so a reused pid is never signalled.
 */
export interface ProcessId {
  readonly pid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat). */
  readonly start: string;
}

function stat(pid: number): { ppid: number; start: string } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), start: f[19] };
  } catch {
    return undefined;
  }
}

/** Every live descendant of `pid` (children, grandchildren…); empty where /proc is not available. */
export function descendants(pid: number): ProcessId[] {
  let pids: number[];
  try {
    pids = readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return [];
  }
  const children = new Map<number, ProcessId[]>();
  for (const p of pids) {
    const s = stat(p);
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push({ pid: p, start: s.start });
    children.set(s.ppid, list);
  }
  const out: ProcessId[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c.pid);
    }
  };
  walk(pid);
  return out;
}

/** True while this very process (same pid and start time) exists and is not a zombie. */
export function alive(p: ProcessId): boolean {
  const s = stat(p.pid);
  if (!s || s.start !== p.start) return false;
  try {
    const state = readFileSync(`/proc/${p.pid}/stat`, "utf8");
    return state.slice(state.lastIndexOf(")") + 2, state.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Signal a process (if it is still the one we saw) and its process group; either may be gone. */
export function signal(p: ProcessId, sig: NodeJS.Signals): void {
  if (!alive(p)) return;
  for (const target of [-p.pid, p.pid]) {
    try {
      process.kill(target, sig);
    } catch {
      // ESRCH: not a group leader, or already gone.
    }
  }
}

/** Live processes whose command line mentions `marker` (`pid: command line`), e.g. a task's TMPDIR. */
export function processesMentioning(marker: string): string[] {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  return pids.flatMap((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      return cmd.includes(marker) ? [`${pid}: ${cmd}`] : [];
    } catch {
      return []; // exited while we looked
    }
  });
}
