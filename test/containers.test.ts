/**
 * Docker cannot run on these machines (no engine), so the container files are checked as far as
 * that allows: docker-compose.yml by a real Compose parser (Debian's docker-compose, which parses,
 * interpolates and validates without a daemon), the Dockerfile by a linter (dockerfile-utils), and
 * its build steps against what `npm ci` needs here. No image is built and no container started.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { REPO_ROOT, tempDir } from './helpers.js';

const run = promisify(execFile);
const compose = (file: string, ...args: string[]) => run('docker-compose', ['-f', file, ...args], { cwd: REPO_ROOT });

describe('docker-compose.yml', () => {
  it('is valid Compose: an API node, two worker nodes, Redis and PostgreSQL wired together', async () => {
    await compose('docker-compose.yml', 'config', '-q');
    const { stdout } = await compose('docker-compose.yml', 'config');
    const config = YAML.parse(stdout);
    expect(Object.keys(config.services).sort()).toEqual(['api', 'postgres', 'redis', 'worker']);
    expect(config.services.worker.deploy.replicas).toBe(2);
    for (const role of ['api', 'worker']) {
      const service = config.services[role];
      expect(service.build.context).toBe(REPO_ROOT);
      expect(service.command.join(' ')).toMatch(/--queue redis:\/\/redis:6379 --db postgres:\/\/argus:argus@postgres\/argus/);
      expect(service.depends_on).toEqual({ redis: { condition: 'service_healthy' }, postgres: { condition: 'service_healthy' } });
    }
    expect(config.services.postgres.environment).toMatchObject({ POSTGRES_USER: 'argus', POSTGRES_DB: 'argus' });
    expect(config.services.redis.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
  });

  it('the parser does reject a broken file (so the check above can fail)', async () => {
    const bad = join(tempDir('argus-compose-'), 'docker-compose.yml');
    writeFileSync(bad, 'services:\n  api:\n    build: .\n    deploy: {replicas: two}\n');
    await expect(compose(bad, 'config', '-q')).rejects.toMatchObject({ stderr: expect.stringMatching(/replicas/) });
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const instructions = DockerfileParser.parse(text).getInstructions().map((i) => ({ keyword: i.getKeyword(), args: i.getArgumentsContent() ?? '' }));

  it('lints clean', async () => {
    expect(await validate(text)).toEqual([]);
  });

  it('builds the way npm ci installs here: Node 20, build tools, the onnxruntime script skip, the packaged ffmpeg kept', () => {
    const engines = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).engines.node as string;
    const from = instructions.find((i) => i.keyword === 'FROM')!.args;
    expect(from).toMatch(new RegExp(`^node:${/\d+/.exec(engines)![0]}-`));
    // better-sqlite3 and hnswlib-node compile from source: no prebuilt binary can be downloaded.
    const apt = instructions.find((i) => i.keyword === 'RUN' && i.args.includes('apt-get install'))!.args;
    for (const tool of ['python3', 'make', 'g++']) expect(apt.split(/\s+/)).toContain(tool);
    // .npmrc (onnxruntime-node-install=skip) reaches the build context and is copied before npm ci.
    expect(readFileSync(join(REPO_ROOT, '.npmrc'), 'utf8')).toMatch(/^onnxruntime-node-install=skip$/m);
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    expect(ignored).not.toContain('.npmrc');
    // Host-built native modules must not leak into the image.
    expect(ignored).toContain('node_modules');
    const install = instructions.findIndex((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
    const copy = instructions.findIndex((i) => i.keyword === 'COPY' && /^(\.|\.npmrc)\s/.test(i.args));
    expect(copy).toBeGreaterThanOrEqual(0);
    expect(install).toBeGreaterThan(copy);
    // The packaged ffmpeg/ffprobe are optional per-platform packages made executable by an install script.
    const npm = instructions[install].args;
    expect(npm).not.toMatch(/--ignore-scripts|--omit[= ]optional|--no-optional/);
    expect(instructions.some((i) => i.keyword === 'RUN' && /\bnpm install\b/.test(i.args))).toBe(false);
  });
});
