/**
 * Turns "the whole text decoded so far" (what a tokenizer gives after each generated token) into
 * deltas that are safe to stream: text once sent is never taken back. Two things could take it
 * back, so they are held until they settle:
 * - a trailing U+FFFD: a byte-level token may end in the middle of a UTF-8 character, which the
 *   next token completes;
 * - a tail that begins a stop sequence: if the stop sequence completes, the answer ends before it.
 * Streamed and non-streamed answers go through the same object, so they are the same text.
 */
export class StreamedText {
  /** The text sent so far (the concatenation of every delta returned). */
  private sent = '';
  private latest = '';
  /** A stop sequence was found; the answer ends before it. */
  stopped = false;

  constructor(private readonly stops: readonly string[] = []) {}

  /** Takes the whole text decoded so far and returns the part that can be sent now ('' if none). */
  update(decoded: string): string {
    if (this.stopped) return '';
    this.latest = decoded;
    const stopAt = this.firstStop(decoded);
    if (stopAt >= 0) {
      this.stopped = true;
      return this.advance(decoded.slice(0, stopAt));
    }
    let safe = decoded.length;
    while (safe > 0 && decoded[safe - 1] === '\uFFFD') safe--;
    safe -= this.stopPrefixAt(decoded.slice(0, safe));
    return this.advance(decoded.slice(0, safe));
  }

  /** Generation ended: sends what was held back (an incomplete character or stop prefix is final now). */
  finish(): string {
    if (this.stopped) return '';
    return this.advance(this.latest);
  }

  /** The answer: everything sent. */
  get text(): string {
    return this.sent;
  }

  private firstStop(text: string): number {
    let first = -1;
    for (const stop of this.stops) {
      const at = text.indexOf(stop);
      if (at >= 0 && (first < 0 || at < first)) first = at;
    }
    return first;
  }

  /** Length of the longest tail of `text` that is the beginning of some stop sequence. */
  private stopPrefixAt(text: string): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let k = Math.min(stop.length - 1, text.length); k > longest; k--) {
        if (text.endsWith(stop.slice(0, k))) {
          longest = k;
          break;
        }
      }
    }
    return longest;
  }

  /**
   * Sends what `target` adds to the text already sent. A decoder may in rare cases revise text
   * before the held-back tail; what was sent stays sent, and only text beyond it goes out.
   */
  private advance(target: string): string {
    if (target.length <= this.sent.length) return '';
    const delta = target.slice(this.sent.length);
    this.sent += delta;
    return delta;
  }
}
