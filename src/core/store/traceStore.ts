import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { isTransient, type RunEvent, type RunEventBody } from '../../shared/trace/events';

/**
 * The trace could not take an event (a full disk, another writer): the run must stop, since what it
 * does next would not be on record. The trace on disk still ends with the last whole event.
 */
export class TraceWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceWriteError';
  }
}

/**
 * The append-only trace: one JSON event a line, fsynced before `append` returns, so that whatever
 * the loop does next (commit, train, reset) happens after its record is on disk. Each append is
 * whole or fails loudly: a line is written with one write (the rest retried after a short write), a
 * write that fails half-way is cut back off, and an append to a file that grew behind our back (a
 * second writer) is refused, so seq numbers never repeat.
 */
export class TraceStore {
  private fd: number;
  private seq: number;
  /** The file's length after our last append: any other length means someone else wrote to it. */
  private size: number;
  private broken: TraceWriteError | null = null;

  private constructor(
    readonly path: string,
    private readonly loaded: RunEvent[],
  ) {
    this.fd = openSync(path, 'a');
    this.size = fstatSync(this.fd).size;
    this.seq = loaded.length ? loaded[loaded.length - 1].seq : 0;
  }

  /** Opens (or creates) a trace for writing. A line torn by a crash mid-write is cut off and reported. */
  static open(path: string): { store: TraceStore; repaired: string | null } {
    mkdirSync(dirname(path), { recursive: true });
    const { events, validBytes, torn } = existsSync(path) ? readTrace(readFileSync(path)) : { events: [], validBytes: 0, torn: null };
    if (torn !== null) truncateSync(path, validBytes);
    return { store: new TraceStore(path, events), repaired: torn };
  }

  /** A trace's events, read without opening it for writing (a live run may be appending): a torn tail is left alone. */
  static read(path: string): RunEvent[] {
    return readTrace(readFileSync(path)).events;
  }

  events(): readonly RunEvent[] {
    return this.loaded;
  }

  append(body: RunEventBody): RunEvent {
    if (this.broken) throw this.broken;
    const transient = isTransient(body);
    const event = { seq: transient ? this.seq : this.seq + 1, at: new Date().toISOString(), ...body } as RunEvent;
    if (transient) return event;
    const seen = fstatSync(this.fd).size;
    if (seen !== this.size) {
      throw this.fail(`${this.path} was written by another process (${seen - this.size} bytes appeared after event ${this.seq}); refusing to append, so that no seq number is used twice`);
    }
    this.writeWhole(Buffer.from(JSON.stringify(event) + '\n', 'utf8'));
    this.seq = event.seq;
    this.loaded.push(event);
    return event;
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Writes a line completely, or cuts the file back to where it was and throws. */
  private writeWhole(line: Buffer): void {
    let written = 0;
    try {
      while (written < line.length) {
        const n = writeSync(this.fd, line, written, line.length - written);
        // A write that takes nothing (and does not fail) would otherwise loop forever.
        if (n <= 0) throw new Error(`a write took 0 of ${line.length - written} bytes`);
        written += n;
      }
      fsyncSync(this.fd);
      this.size += written;
    } catch (e) {
      let cut = '';
      try {
        if (written > 0) ftruncateSync(this.fd, this.size);
      } catch {
        // The next open cuts the torn line instead (it is the last one).
        cut = ' (the torn line is cut off when the run is resumed)';
      }
      throw this.fail(`cannot write the trace ${this.path}: ${(e as Error).message}; ${written} of ${line.length} bytes of event ${this.seq + 1} were written and taken back${cut}. The trace ends with event ${this.seq}; free space (or fix the problem) and run again to resume.`);
    }
  }

  private fail(message: string): TraceWriteError {
    this.broken = new TraceWriteError(message);
    return this.broken;
  }
}

/**
 * Parses a trace file. Only a final line without its newline can be torn (a crash mid-write); any
 * line in the middle that does not parse is corruption, reported with its line number.
 */
export function readTrace(bytes: Buffer): { events: RunEvent[]; validBytes: number; torn: string | null } {
  const events: RunEvent[] = [];
  let start = 0;
  let lineNo = 0;
  while (start < bytes.length) {
    lineNo++;
    const end = bytes.indexOf(0x0a, start);
    if (end === -1) {
      return { events, validBytes: start, torn: bytes.subarray(start).toString('utf8') };
    }
    const line = bytes.subarray(start, end).toString('utf8');
    if (line.trim()) {
      try {
        events.push(JSON.parse(line) as RunEvent);
      } catch {
        throw new Error(`trace is corrupt at line ${lineNo} (byte ${start}): ${line.slice(0, 80)}`);
      }
    }
    start = end + 1;
  }
  return { events, validBytes: start, torn: null };
}
