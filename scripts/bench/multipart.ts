/**
 * multipart/form-data bodies built once, as one Buffer, so a load generator can send the same
 * bytes on every request without re-encoding (and without a form library in the loop).
 */

export interface FilePart {
  name: string;
  filename: string;
  contentType: string;
  data: Uint8Array;
}

export interface FieldPart {
  name: string;
  value: string;
}

export interface MultipartBody {
  body: Buffer;
  /** The Content-Type header value, boundary included. */
  contentType: string;
}

/** A fixed boundary, so the body is byte-identical on every run (checked against each file's bytes). */
export const DEFAULT_BOUNDARY = '----argus-bench-7d1b3c9e5f';

/**
 * Encodes `parts` as multipart/form-data (RFC 7578).
 * @example
 * const { body, contentType } = multipartBody([{ name: 'image', filename: 'bus.jpg', contentType: 'image/jpeg', data }]);
 */
export function multipartBody(parts: ReadonlyArray<FilePart | FieldPart>, boundary = DEFAULT_BOUNDARY): MultipartBody {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    if ('data' in part) {
      const data = Buffer.from(part.data.buffer, part.data.byteOffset, part.data.byteLength);
      if (data.includes(`--${boundary}`)) throw new Error(`${part.filename} contains the multipart boundary; pass another one`);
      chunks.push(Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\n` +
          `Content-Type: ${part.contentType}\r\n\r\n`,
      ));
      chunks.push(data);
      chunks.push(Buffer.from('\r\n'));
    } else {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
