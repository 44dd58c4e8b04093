import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { isTransient, type RunEvent, type RunEventBody } from '../../shared/trace/events';

/**
 * The append-only trace: one JSON event a line, fsynced before `append` returns, so that whatever
 * the loop does next (commit, train, reset) happens after its record is on disk.
 */
export class TraceStore {
  private fd: number;
  private seq: number;

  private constructor(
    readonly path: string,
    private readonly loaded: RunEvent[],
  ) {
    this.fd = openSync(path, 'a');
    this.seq = loaded.length ? loaded[loaded.length - 1].seq : 0;
  }

  /** Opens (or creates) a trace. A line torn by a crash mid-write is cut off and reported. */
  static open(path: string): { store: TraceStore; repaired: string | null } {
    mkdirSync(dirname(path), { recursive: true });
    const { events, validBytes, torn } = existsSync(path) ? readTrace(readFileSync(path)) : { events: [], validBytes: 0, torn: null };
    if (torn !== null) truncateSync(path, validBytes);
    return { store: new TraceStore(path, events), repaired: torn };
  }

  events(): readonly RunEvent[] {
    return this.loaded;
  }

  append(body: RunEventBody): RunEvent {
    const transient = isTransient(body);
    const event = { seq: transient ? this.seq : ++this.seq, at: new Date().toISOString(), ...body } as RunEvent;
    if (transient) return event;
    writeSync(this.fd, JSON.stringify(event) + '\n');
    fsyncSync(this.fd);
    this.loaded.push(event);
    return event;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Parses a trace file. Only a final line without its newline can be torn; anything else is corruption. */
export function readTrace(bytes: Buffer): { events: RunEvent[]; validBytes: number; torn: string | null } {
  const events: RunEvent[] = [];
  let start = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf(0x0a, start);
    if (end === -1) {
      return { events, validBytes: start, torn: bytes.subarray(start).toString('utf8') };
    }
    const line = bytes.subarray(start, end).toString('utf8');
    if (line.trim()) {
      try {
        events.push(JSON.parse(line) as RunEvent);
      } catch {
        throw new Error(`trace is corrupt at byte ${start}: ${line.slice(0, 80)}`);
      }
    }
    start = end + 1;
  }
  return { events, validBytes: start, torn: null };
}
