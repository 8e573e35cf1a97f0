/**
 * Reads `metadata_props` from an ONNX ModelProto without a protobuf library. onnxruntime-node does
 * not expose custom metadata (Ultralytics stores class names there), and the fields needed sit at
 * the top level of the message, so a minimal wire-format walker that skips everything else is enough.
 */

const METADATA_PROPS = 14;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

interface Field {
  number: number;
  wireType: number;
  /** Payload of a length-delimited field. */
  bytes?: Uint8Array;
}

function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let multiplier = 1;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const byte = buf[pos++];
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return result;
      multiplier *= 128;
      if (multiplier > 2 ** 63) throw new Error('varint too long');
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    const number = Math.floor(tag / 8);
    const wireType = tag % 8;
    switch (wireType) {
      case 0: varint(); yield { number, wireType }; break;
      case 1: pos += 8; yield { number, wireType }; break;
      case 5: pos += 4; yield { number, wireType }; break;
      case 2: {
        const length = varint();
        if (pos + length > buf.length) throw new Error('truncated field');
        yield { number, wireType, bytes: buf.subarray(pos, pos + length) };
        pos += length;
        break;
      }
      default: throw new Error(`unsupported wire type ${wireType}`);
    }
  }
}

/** Key/value metadata of an ONNX model file; empty when the file has none or cannot be parsed. */
export function readOnnxMetadata(model: Uint8Array): Record<string, string> {
  const decoder = new TextDecoder();
  const out: Record<string, string> = {};
  try {
    for (const field of fields(model)) {
      if (field.number !== METADATA_PROPS || !field.bytes) continue;
      let key = '';
      let value = '';
      for (const entry of fields(field.bytes)) {
        if (entry.number === ENTRY_KEY && entry.bytes) key = decoder.decode(entry.bytes);
        if (entry.number === ENTRY_VALUE && entry.bytes) value = decoder.decode(entry.bytes);
      }
      if (key) out[key] = value;
    }
  } catch {
    return out;
  }
  return out;
}

/**
 * Parses class names as Ultralytics writes them: a Python dict literal such as
 * `{0: 'person', 1: "bicycle"}`. Returns undefined when the text is not of that form.
 */
export function parseClassNames(text: string | undefined): string[] | undefined {
  if (!text) return undefined;
  const names: string[] = [];
  const pattern = /(\d+)\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/g;
  for (const m of text.matchAll(pattern)) {
    names[Number(m[1])] = (m[2] ?? m[3]).replace(/\\(.)/g, '$1');
  }
  // Array.prototype.some skips holes, so look at every index: a gap means the dict was not dense.
  if (names.length === 0 || Array.from(names).some((n) => n === undefined)) return undefined;
  return names;
}
