import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

/**
 * Follows a trace file as a running process appends to it, for tests that act on an event the
 * moment it is written (kill -9 right after it). Only whole lines are returned; a line still being
 * written waits for its newline. A file that shrank (a torn last line repaired) is followed from its end.
 */
export class TraceTail {
  private offset = 0;
  private partial = '';

  constructor(private readonly path: string) {
    this.offset = existsSync(path) ? statSync(path).size : 0;
  }

  /** The whole lines appended since the last call (or since the tail was made). */
  newLines(): string[] {
    if (!existsSync(this.path)) return [];
    const size = statSync(this.path).size;
    if (size < this.offset) {
      this.offset = size;
      this.partial = '';
    }
    if (size === this.offset) return [];
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(this.path, 'r');
    try {
      readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const text = this.partial + buf.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop()!;
    return lines;
  }
}
