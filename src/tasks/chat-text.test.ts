import { describe, expect, it } from 'vitest';
import { StreamedText } from './chat-text.js';

/** Feeds the text decoded after each token, as a streamer does, and collects the deltas. */
function stream(decodedSoFar: string[], stops: string[] = []) {
  const text = new StreamedText(stops);
  const deltas = decodedSoFar.map((d) => text.update(d));
  deltas.push(text.finish());
  return { deltas: deltas.filter(Boolean), text: text.text, stopped: text.stopped };
}

describe('StreamedText', () => {
  it('sends each new piece once, and the pieces add up to the text', () => {
    const { deltas, text } = stream(['He', 'Hell', 'Hello', 'Hello world']);
    expect(deltas).toEqual(['He', 'll', 'o', ' world']);
    expect(text).toBe('Hello world');
  });

  it('holds back a trailing replacement character until the next token completes it', () => {
    const { deltas, text } = stream(['caf', 'caf\uFFFD', 'café', 'café!']);
    expect(deltas).toEqual(['caf', 'é', '!']);
    expect(text).toBe('café!');
  });

  it('sends a replacement character that stays at the end when generation stops', () => {
    expect(stream(['ab\uFFFD']).text).toBe('ab\uFFFD');
  });

  it('ends before a stop sequence, never sending any part of it', () => {
    const { deltas, text, stopped } = stream(['Yes', 'Yes.', 'Yes.\n', 'Yes.\nUs', 'Yes.\nUser:', 'Yes.\nUser: more'], ['\nUser:']);
    expect(text).toBe('Yes.');
    expect(deltas.join('')).toBe('Yes.');
    expect(stopped).toBe(true);
  });

  it('releases a held stop prefix once it stops matching, and at the end', () => {
    expect(stream(['a\nU', 'a\nUx'], ['\nUser:']).deltas).toEqual(['a', '\nUx']);
    expect(stream(['a\nU'], ['\nUser:'])).toMatchObject({ text: 'a\nU', stopped: false });
  });

  it('takes the earliest of several stop sequences', () => {
    expect(stream(['one two three'], ['three', 'two']).text).toBe('one ');
  });
});
