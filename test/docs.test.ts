/**
 * The docs are kept true by this test: every relative link and anchor in README.md and docs/*.md
 * resolves, the README keeps the two commands first (CI reads them), and every example marked
 * `<!-- example: run -->` (the line before a ```sh block) runs against a real Argus with the
 * shared models, no API key and an empty data directory.
 *
 * The examples are run as a reader would paste them, from the repository root with bash; the
 * host and port are swapped for the test server's. `curl` is a wrapper first on PATH that adds
 * `--fail-with-body -sS` and reports each transfer's status, so an example passes only when its
 * script exits 0 and every request it made got a 2xx.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startServer, tempDir, type TestServer } from './helpers.js';

const MARKER = '<!-- example: run -->';
const PAGES = ['README.md', ...readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const text = (page: string) => readFileSync(join(REPO_ROOT, page), 'utf8');

/** The lines of a page outside fenced code blocks, with their 1-based numbers. */
function proseLines(markdown: string): Array<{ line: string; n: number }> {
  const out: Array<{ line: string; n: number }> = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((line, i) => {
    const open = /^\s*(`{3,}|~{3,})/.exec(line);
    if (open) {
      if (!fence) fence = open[1];
      else if (line.trim().startsWith(fence)) fence = undefined;
      return;
    }
    if (!fence) out.push({ line, n: i + 1 });
  });
  return out;
}

/**
 * GitHub's heading anchor (github-slugger's rule): the heading's text, lower-cased, with every
 * character that is not a letter, a digit, a space, a hyphen or an underscore removed and spaces
 * turned into hyphens; a repeated slug gets -1, -2, … in order.
 */
function slug(heading: string): string {
  const textOnly = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase();
  return textOnly.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { line } of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const base = slug(heading[1]);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const html of line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(html[1]);
  }
  return anchors;
}

interface Link {
  page: string;
  n: number;
  target: string;
}

/** Relative links and images of a page, outside code blocks and code spans (a link's text may wrap). */
function linksOf(page: string): Link[] {
  const lines = text(page).split('\n');
  const prose = new Map(proseLines(text(page)).map(({ line, n }) => [n, line]));
  // Code blocks become empty lines and code spans empty spans, so line numbers stay right.
  const body = lines.map((_, i) => (prose.get(i + 1) ?? '').replace(/`[^`]*`/g, '``')).join('\n');
  const links: Link[] = [];
  for (const m of body.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1];
    if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto:
    links.push({ page, n: body.slice(0, m.index).split('\n').length, target });
  }
  return links;
}

interface Example {
  page: string;
  n: number;
  script: string;
}

function examplesOf(page: string): Example[] {
  const lines = text(page).split('\n');
  const examples: Example[] = [];
  lines.forEach((line, i) => {
    if (line.trim() !== MARKER) return;
    if (lines[i + 1] !== '```sh') throw new Error(`${page}:${i + 1}: ${MARKER} must be followed by a \`\`\`sh block`);
    const end = lines.indexOf('```', i + 2);
    if (end < 0) throw new Error(`${page}:${i + 2}: the example's block is not closed`);
    examples.push({ page, n: i + 2, script: lines.slice(i + 2, end).join('\n') });
  });
  return examples;
}

describe('links and anchors', () => {
  const anchorCache = new Map<string, Set<string>>();
  const anchors = (file: string) => {
    if (!anchorCache.has(file)) anchorCache.set(file, anchorsOf(readFileSync(file, 'utf8')));
    return anchorCache.get(file)!;
  };

  it('every relative link and anchor in README.md and docs/*.md resolves', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const page of PAGES) {
      for (const { n, target } of linksOf(page)) {
        checked++;
        const [path, anchor] = target.split('#', 2) as [string, string | undefined];
        const file = path ? resolve(dirname(join(REPO_ROOT, page)), decodeURIComponent(path)) : join(REPO_ROOT, page);
        if (!existsSync(file)) {
          broken.push(`${page}:${n}: ${target}: no file ${relative(REPO_ROOT, file)}`);
          continue;
        }
        if (anchor === undefined) continue;
        if (!file.endsWith('.md') || statSync(file).isDirectory()) {
          broken.push(`${page}:${n}: ${target}: an anchor into a file that is not a Markdown page`);
        } else if (!anchors(file).has(decodeURIComponent(anchor))) {
          broken.push(`${page}:${n}: ${target}: no heading #${anchor} in ${relative(REPO_ROOT, file)}`);
        }
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });

  it('follows GitHub anchor rules', () => {
    expect(slug('Face gallery — `/v1/faces/gallery`, `POST /v1/faces/recognize`')).toBe('face-gallery--v1facesgallery-post-v1facesrecognize');
    expect(slug("The drone/CCTV analysis service's API")).toBe('the-dronecctv-analysis-services-api');
    expect(slug('Redis failover (Sentinel)')).toBe('redis-failover-sentinel');
    expect([...anchorsOf('# A\n## B\n```sh\n# not a heading\n```\n## B\n')]).toEqual(['a', 'b', 'b-1']);
  });

  it('docs/README.md lists every page', () => {
    const index = text('docs/README.md');
    const missing = PAGES.filter((p) => p.startsWith('docs/') && p !== 'docs/README.md').filter((p) => !index.includes(`](${p.slice('docs/'.length)})`));
    expect(missing).toEqual([]);
  });
});

describe('README', () => {
  const lines = text('README.md').split('\n');

  it('starts with the title and the two commands CI runs', () => {
    expect(lines[0]).toBe('# Argus');
    expect(lines[1]).toBe('');
    expect(lines[2]).toBe('```sh');
    expect(lines[3]).toMatch(/^npm ci && npm start(\s|$)/);
    expect(lines[4]).toMatch(/^npm test(\s|$)/);
    expect(lines[5]).toBe('```');
  });

  it('stays a front door: under 300 lines', () => {
    expect(lines.length).toBeLessThan(300);
  });

  it('has no near-miss example markers', () => {
    const nearMisses = PAGES.flatMap((page) =>
      text(page)
        .split('\n')
        .map((line, i) => ({ line: line.trim(), at: `${page}:${i + 1}` }))
        .filter(({ line }) => /^<!--\s*example/i.test(line) && line !== MARKER)
        .map(({ at }) => at),
    );
    expect(nearMisses).toEqual([]);
  });
});

describe('examples marked to run', () => {
  const examples = PAGES.flatMap(examplesOf);
  let server: TestServer;
  let bin: string;

  beforeAll(async () => {
    server = await startServer();
    bin = tempDir('argus-docs-bin-');
    const curl = execFileSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).trim();
    writeFileSync(join(bin, 'curl'), `#!/bin/sh\nexec ${curl} --fail-with-body -sS -w '%{stderr}argus-docs-status %{http_code}\\n' "$@"\n`);
    chmodSync(join(bin, 'curl'), 0o755);
  });

  afterAll(async () => {
    await server?.close();
    if (bin) rmSync(bin, { recursive: true, force: true });
  });

  it('are there (at least one per surface that runs by default)', () => {
    expect(examples.length).toBeGreaterThanOrEqual(20);
  });

  it.each(examples.map((e) => [`${e.page}:${e.n}`, e] as const))('%s', async (_name, example) => {
    const script = example.script.replace(/http:\/\/(?:127\.0\.0\.1|localhost):8000/g, server.url);
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(
        'bash',
        ['-eo', 'pipefail', '-c', script],
        { cwd: REPO_ROOT, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, timeout: 45_000, maxBuffer: 64 * 1024 * 1024 },
        (error, out, err) => done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: out, stderr: err }),
      );
    });
    const statuses = [...stderr.matchAll(/argus-docs-status (\d+)/g)].map((m) => Number(m[1]));
    const report = `${example.page}:${example.n} exited ${code}; statuses ${statuses.join(', ')}\n${stderr}\n${stdout.slice(0, 2000)}`;
    expect(code, report).toBe(0);
    expect(statuses.length, report).toBeGreaterThan(0);
    expect(statuses.filter((s) => s < 200 || s > 299), report).toEqual([]);
  });
});
