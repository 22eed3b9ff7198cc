import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { alive } from '../processes.ts';

/**
 * PGlite takes no lock on its directory, and two processes writing one directory damage it.
 * This lock file (created with O_EXCL) makes the directory belong to one process; a lock
 * left by a process that has died is taken over.
 */
export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

export interface Lock {
  release(): void;
}

interface Holder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

export function acquireLock(file: string, command: string): Lock {
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder: Holder | null = null;
      try {
        holder = JSON.parse(readFileSync(file, 'utf8')) as Holder;
      } catch {
        // A lock file being written right now, or a damaged one: look again.
      }
      if (holder && (holder.host !== hostname() || alive(holder.pid))) {
        throw new DataDirLockedError(
          `The embedded database is in use by "${holder.command}" (process ${holder.pid} on ${holder.host}, since ${holder.since}). ` +
            `Only one process may open it at a time: stop that process first, or use its web pages instead.`,
        );
      }
      rmSync(file, { force: true });
      continue;
    }
    const holder: Holder = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
    writeSync(fd, JSON.stringify(holder));
    closeSync(fd);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.off('exit', release);
      rmSync(file, { force: true });
    };
    process.on('exit', release);
    return { release };
  }
  throw new DataDirLockedError(`Could not take the lock ${file}; another process keeps recreating it.`);
}
