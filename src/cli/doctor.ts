import { Command } from 'commander';
import { VERSION } from '../app/argus.js';
import { INSTALL_DIR, runChecks, type Section } from './doctor-checks.js';
import { configFrom } from './options.js';

const TITLES: Record<Section, string> = { serve: 'Serving (npm start)', tests: 'Tests (npm test)' };

/**
 * `argus doctor`: checks everything `npm start` and `npm test` depend on and prints each finding
 * with its fix. Exit status 0 only when all is well, 1 otherwise, so scripts can gate on it.
 * @example argus doctor --no-tests   # a production machine: serving only
 */
export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check Node.js, native modules, ffmpeg, models, disk, memory, Redis/PostgreSQL (when configured) and what the tests need; exit 0 only when all is well')
    .option('--no-tests', "skip what only `npm test` needs (Chromium, redis-server, a local PostgreSQL, the shared models)")
    .option('--json', 'print the findings as JSON')
    .action(async (options: { tests: boolean; json?: boolean }, command: Command) => {
      const config = configFrom(command);
      const sections: Section[] = options.tests ? ['serve', 'tests'] : ['serve'];
      const report = await runChecks(config, sections);
      const problems = report.flatMap((s) => s.results).filter((r) => !r.ok);
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ ok: problems.length === 0, version: VERSION, installDir: INSTALL_DIR, sections: report }, null, 2)}\n`);
      } else {
        const lines = [`argus doctor — Argus ${VERSION} in ${INSTALL_DIR}`];
        for (const { section, results } of report) {
          lines.push('', TITLES[section]);
          const width = Math.max(...results.map((r) => r.name.length)) + 2;
          for (const r of results) {
            lines.push(`  ${r.ok ? 'ok  ' : 'FAIL'}  ${r.name.padEnd(width)}${r.detail}`);
            if (r.fix) lines.push(`  ${''.padEnd(6 + width)}${r.ok ? 'hint' : 'fix'}: ${r.fix}`);
          }
        }
        lines.push('', problems.length ? `${problems.length} problem${problems.length > 1 ? 's' : ''}: see each fix above.` : 'All is well.');
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      process.exitCode = problems.length ? 1 : 0;
    });
}
