import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open as openFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errors } from '../errors.js';
import { HttpFailure, open, type HttpOptions, type OpenResponse } from './http.js';
import { PARTIAL_SUFFIX } from './paths.js';
import { ProgressMeter, type ProgressListener } from './progress.js';

export interface DownloadOptions extends HttpOptions {
  url: string;
  /** Final path; the bytes go to `dest + .partial` until they have been checked. */
  dest: string;
  /** Expected sha256 (hex); a file that does not match is deleted, never installed. */
  sha256?: string;
  /** Expected size in bytes, when known beforehand (Hugging Face's file list). */
  size?: number;
  /** Model alias, for error messages. */
  alias: string;
  /** Progress label. @defaultValue alias */
  label?: string;
  onProgress?: ProgressListener;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  /** Bytes kept from an earlier, interrupted download (0 when it started from nothing). */
  resumedFrom: number;
  /** The rate over the whole transfer, bytes per second. */
  rate: number;
}

/**
 * Downloads one file into place. An existing `.partial` is resumed with a Range request; a server
 * that answers 200 instead of 206, or 416 because the partial is longer than the file, gets a
 * clean restart. The sha256 is checked before the rename, so `dest` only ever holds a verified file.
 */
export async function downloadFile(options: DownloadOptions): Promise<DownloadResult> {
  const partial = options.dest + PARTIAL_SUFFIX;
  await mkdir(dirname(partial), { recursive: true });
  const result = await transfer(options, partial, await sizeOf(partial));
  if (options.sha256 && result.sha256 !== options.sha256) {
    await rm(partial, { force: true });
    if (result.resumedFrom > 0) {
      // The kept bytes may belong to an older file (the manifest or the server's file changed
      // since the interrupted pull). One fresh download tells that apart from a wrong hash.
      const fresh = await transfer(options, partial, 0);
      if (fresh.sha256 === options.sha256) return install(partial, options.dest, fresh);
      await rm(partial, { force: true });
      throw errors.checksumMismatch(options.alias, options.url, options.sha256, fresh.sha256);
    }
    throw errors.checksumMismatch(options.alias, options.url, options.sha256, result.sha256);
  }
  return install(partial, options.dest, result);
}

async function install(partial: string, dest: string, result: DownloadResult): Promise<DownloadResult> {
  await rename(partial, dest);
  return { ...result, path: dest };
}

async function transfer(options: DownloadOptions, partial: string, have: number): Promise<DownloadResult> {
  let offset = have;
  let answer = await request(options, offset);
  const { response } = answer;
  if (offset > 0 && response.status === 416) {
    // The partial is as long as the file or longer: it cannot be extended, so start again.
    await answer.discard();
    offset = 0;
    answer = await request(options, 0);
  } else if (offset > 0 && response.status === 206 && contentRange(response)?.start !== offset) {
    await answer.discard();
    offset = 0;
    answer = await request(options, 0);
  }
  const status = answer.response.status;
  if (status !== 200 && status !== 206) {
    await answer.discard();
    throw errors.pullFailed(options.alias, `${answer.url} answered HTTP ${status} ${answer.response.statusText}`.trim());
  }
  // 200 to a Range request: the server sends the whole file, so what we kept is dropped.
  if (status === 200) offset = 0;
  const total = status === 206 ? contentRange(answer.response)?.total : lengthOf(answer.response);
  if (options.size !== undefined && total !== undefined && total !== options.size) {
    await answer.discard();
    throw errors.pullFailed(options.alias, `${answer.url} is ${total} bytes, but ${options.size} were expected`);
  }

  const hash = createHash('sha256');
  if (offset > 0) await hashPrefix(partial, offset, hash);
  const meter = new ProgressMeter({ label: options.label ?? options.alias, total: total ?? options.size, startBytes: offset }, options.onProgress);
  const file = await openFile(partial, offset > 0 ? 'r+' : 'w');
  try {
    let position = offset;
    for await (const chunk of answer.chunks()) {
      hash.update(chunk);
      await file.write(chunk, 0, chunk.length, position);
      position += chunk.length;
      meter.add(chunk.length);
    }
    // Data must be on disk before the rename makes it the model; a crash after a rename of an
    // unflushed file would leave a verified name on unverified bytes.
    await file.sync();
  } catch (error) {
    throw brokenTransfer(options, partial, meter.bytesDone, error);
  } finally {
    await file.close();
  }
  const bytes = meter.bytesDone;
  const expected = total ?? options.size;
  if (expected !== undefined && bytes !== expected) {
    throw errors.pullFailed(options.alias, `the download stopped at ${bytes} of ${expected} bytes; run the pull again to resume from ${partial}`);
  }
  const final = meter.finish();
  return { path: partial, bytes, sha256: hash.digest('hex'), resumedFrom: offset, rate: final.rate };
}

async function request(options: DownloadOptions, offset: number): Promise<OpenResponse> {
  try {
    return await open(options.url, offset > 0 ? { range: `bytes=${offset}-` } : {}, options);
  } catch (error) {
    if (error instanceof HttpFailure) throw errors.pullFailed(options.alias, `${error.message} (${options.url})`);
    throw error;
  }
}

function brokenTransfer(options: DownloadOptions, partial: string, bytes: number, error: unknown): Error {
  if (!(error instanceof HttpFailure)) return error as Error;
  const kept = bytes > 0 ? `; ${bytes} bytes are kept in ${partial}, and the next pull resumes from there` : '';
  return errors.pullFailed(options.alias, `${error.message} (${options.url})${kept}`);
}

function contentRange(response: Response): { start: number; total?: number } | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
  if (!match) return undefined;
  return { start: Number(match[1]), total: match[2] === '*' ? undefined : Number(match[2]) };
}

function lengthOf(response: Response): number | undefined {
  const value = response.headers.get('content-length');
  return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
}

async function sizeOf(path: string): Promise<number> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : 0;
  } catch {
    return 0;
  }
}

/** Feeds the first `length` bytes of `path` to `hash`, so a resumed file is checked whole. */
function hashPrefix(path: string, length: number, hash: Hash): Promise<void> {
  return new Promise((done, fail) => {
    createReadStream(path, { start: 0, end: length - 1 })
      .on('data', (chunk) => hash.update(chunk))
      .on('error', fail)
      .on('end', () => done());
  });
}

/** sha256 of a whole file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const { size } = await stat(path);
  if (size > 0) await hashPrefix(path, size, hash);
  return hash.digest('hex');
}
