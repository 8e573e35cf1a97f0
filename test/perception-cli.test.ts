import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ARGUS_CLI, IMAGES_DIR, MODELS_DIR, REPO_ROOT, tempDir } from './helpers.js';

const run = promisify(execFile);
const out = tempDir('argus-perception-cli-');

afterAll(() => rmSync(out, { recursive: true, force: true }));

function argus(...args: string[]) {
  return run(process.execPath, [ARGUS_CLI, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ARGUS_MODELS_DIR: MODELS_DIR, ARGUS_DATA_DIR: join(out, 'data') },
  });
}

describe('argus ocr | faces | pose | segment', () => {
  it('ocr --json prints the API result; without --json, one line per text line', async () => {
    const file = join(out, 'argus.png');
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="120"><rect width="100%" height="100%" fill="white"/>'
      + '<text x="20" y="75" font-family="DejaVu Sans" font-size="44">ARGUS 2026 OCR TEST</text></svg>';
    await sharp(Buffer.from(svg)).png().toFile(file);
    const result = JSON.parse((await argus('ocr', file, '--json')).stdout);
    expect(result).toMatchObject({ text: 'ARGUS 2026 OCR TEST', model: { alias: 'ppocr-v4' }, width: 640, height: 120 });
    expect(result.id).toMatch(/^[0-9a-f-]{36}$/);
    const { stdout } = await argus('ocr', join(IMAGES_DIR, 'misc/page.png'));
    expect(stdout).toMatch(/page\.png: 7 lines \(model ppocr-v4/);
    expect(stdout).toMatch(/0\.\d\d {2}\[\d+, \d+, \d+, \d+\] {2}Region-based segmentation/);
  });

  it('faces register | list | delete keep the face gallery in the data directory, where a server finds it', async () => {
    const registered = await argus('faces', 'register', 'Carlo Ancelotti', join(IMAGES_DIR, 'zidane.jpg'), join(IMAGES_DIR, 'misc/coffee.png'));
    expect(registered.stdout).toMatch(/Carlo Ancelotti: registered with 1 face\(s\), 1 in all/);
    expect(registered.stdout).toMatch(/skipped .*coffee\.png: no face found/);
    expect((await argus('faces', 'list')).stdout).toBe('Carlo Ancelotti: 1 face(s)\n');
    const listed = JSON.parse((await argus('faces', 'list', '--json')).stdout);
    expect(listed[0].faces[0].box.x1).toBeGreaterThan(900);
    expect((await argus('faces', 'delete', 'Carlo Ancelotti')).stdout).toBe('Carlo Ancelotti: deleted 1 face(s)\n');
    const again = await argus('faces', 'delete', 'Carlo Ancelotti').catch((error: { code: number; stderr: string }) => error);
    expect(again).toMatchObject({ code: 2, stderr: expect.stringMatching(/Nobody named 'Carlo Ancelotti'/) });
    expect((await argus('faces', 'list')).stdout).toBe('The face gallery is empty.\n');
  });

  it('faces prints each face; --attributes adds age, gender and emotion', async () => {
    const { stdout } = await argus('faces', join(IMAGES_DIR, 'zidane.jpg'), '--attributes');
    expect(stdout).toMatch(/zidane\.jpg: 2 faces \(model yunet/);
    expect(stdout.match(/age \d+, male, \w+/g)).toHaveLength(2);
  });

  it('pose --json gives the astronaut her 17 keypoints', async () => {
    const result = JSON.parse((await argus('pose', join(IMAGES_DIR, 'misc/astronaut.png'), '--json')).stdout);
    expect(result.model.alias).toBe('movenet');
    expect(result.people).toHaveLength(1);
    expect(result.people[0].keypoints).toHaveLength(17);
  });

  it('segment prints the coverage and box, and --out writes the mask PNG', async () => {
    const mask = join(out, 'mask.png');
    const { stdout } = await argus('segment', join(IMAGES_DIR, 'zidane.jpg'), '--out', mask);
    expect(stdout).toMatch(/zidane\.jpg: \d+\.\d% person \(model selfie/);
    expect(stdout).toMatch(/ {2}box \[\d+, \d+, \d+, \d+\]/);
    const meta = await sharp(mask).metadata();
    expect({ format: meta.format, width: meta.width, height: meta.height, channels: meta.channels }).toEqual({ format: 'png', width: 1280, height: 720, channels: 1 });
    const result = JSON.parse((await argus('segment', join(IMAGES_DIR, 'misc/rocket.jpg'), '--json', '--threshold', '0.6')).stdout);
    expect(result).toMatchObject({ model: { alias: 'selfie' }, threshold: 0.6, box: null, coverage: 0 });
  });

  it('a bad input exits with status 2 and says why', async () => {
    const tiny = join(out, 'tiny.png');
    await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } }).png().toFile(tiny);
    const failure = await argus('ocr', tiny).then(() => undefined, (error: { code: number; stderr: string }) => error);
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toMatch(/4×4; ocr needs at least 8 px/);
  });
});
