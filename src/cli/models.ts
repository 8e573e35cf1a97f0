import { Command } from 'commander';
import { Catalog } from '../models/catalog.js';
import { classifyLicence } from '../models/licence.js';
import { pullModel } from '../models/pull.js';
import { removeModel } from '../models/remove.js';
import { modelInfo, printModelInfo } from './model-info.js';
import { configFrom } from './options.js';
import { formatBytes, progressPrinter } from './progress.js';

/** `argus models list | info | pull | rm`. Errors are thrown as ArgusErrors: 4xx exit 2, the rest exit 1 (see main.ts). */
export function modelsCommand(): Command {
  const models = new Command('models').description('list, inspect, pull and remove models');
  models
    .command('list')
    .description('models Argus knows, whether they are installed, and their licences')
    .option('--json', 'print as JSON')
    .action((options: { json?: boolean }, command: Command) => {
      const config = configFrom(command);
      const catalog = new Catalog({ modelsDir: config.modelsDir, modelRoots: config.modelRoots });
      const rows = catalog.list().map(({ manifest, origin }) => {
        const availability = catalog.availability(manifest);
        const licence = classifyLicence(manifest.licence);
        return {
          alias: manifest.alias,
          task: manifest.task,
          runtime: manifest.runtime,
          licence: manifest.licence,
          licenceKind: licence.kind,
          licenceWarning: licence.warning,
          installed: availability.available,
          path: availability.path,
          reason: availability.reason,
          origin,
          description: manifest.description,
        };
      });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      process.stdout.write(`models directory: ${config.modelsDir}\n`);
      const width = (key: 'alias' | 'task' | 'runtime' | 'licence', min: number) => Math.max(min, ...rows.map((r) => r[key].length)) + 2;
      const [a, t, rt, l] = [width('alias', 5), width('task', 4), width('runtime', 7), width('licence', 7)];
      process.stdout.write(`${'ALIAS'.padEnd(a)}${'TASK'.padEnd(t)}${'RUNTIME'.padEnd(rt)}${'LICENCE'.padEnd(l)}INSTALLED\n`);
      for (const r of rows) {
        // The marker sits after INSTALLED so the licence column stays a clean SPDX id for scripts.
        const mark = r.licenceWarning ? ' !' : '';
        const state = r.installed ? `yes${mark}` : `no${mark} — ${r.reason}`;
        process.stdout.write(`${r.alias.padEnd(a)}${r.task.padEnd(t)}${r.runtime.padEnd(rt)}${r.licence.padEnd(l)}${state}\n`);
      }
      const warnings = [...new Set(rows.map((r) => r.licenceWarning).filter((w): w is string => Boolean(w)))];
      for (const warning of warnings) process.stdout.write(`! ${warning}\n`);
      for (const problem of catalog.problems) process.stderr.write(`warning: ${problem}\n`);
    });

  models
    .command('info')
    .description('one model: manifest, source, files on disk, sha256 and licence')
    .argument('<alias>', 'model alias')
    .option('--json', 'print as JSON')
    .action(async (alias: string, options: { json?: boolean }, command: Command) => {
      const config = configFrom(command);
      const catalog = new Catalog({ modelsDir: config.modelsDir, modelRoots: config.modelRoots });
      const info = await modelInfo(catalog, catalog.require(alias));
      if (options.json) process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      else printModelInfo(info, process.stdout);
    });

  models
    .command('pull')
    .description('download a url or Hugging Face model into the models directory (resumes an interrupted pull)')
    .argument('<alias>', 'model alias')
    .action(async (alias: string, _options: unknown, command: Command) => {
      const config = configFrom(command);
      const catalog = new Catalog({ modelsDir: config.modelsDir, modelRoots: config.modelRoots });
      const manifest = catalog.require(alias);
      const source = manifest.source;
      const from = source.type === 'url' ? source.url : source.type === 'huggingface' ? `${config.huggingfaceEndpoint}/${source.id}` : undefined;
      if (from) process.stdout.write(`pulling ${manifest.alias} from ${from}\n`);
      const printer = progressPrinter(process.stdout);
      // Ctrl-C stops the transfer through the signal, so the partial file is closed and kept for a resume.
      const controller = new AbortController();
      const onInterrupt = () => controller.abort();
      process.once('SIGINT', onInterrupt);
      try {
        const result = await pullModel(manifest, {
          modelsDir: config.modelsDir,
          huggingfaceEndpoint: config.huggingfaceEndpoint,
          onProgress: printer,
          signal: controller.signal,
        });
        const bytes = result.files.reduce((sum, f) => sum + f.bytes, 0);
        const hash = result.files.length === 1 && result.files[0].sha256 ? `, sha256 ${result.files[0].sha256}` : '';
        process.stdout.write(
          result.alreadyInstalled
            ? `${manifest.alias} is already installed at ${result.path} (${formatBytes(bytes)}${hash}, verified)\n`
            : `installed ${manifest.alias} at ${result.path} (${formatBytes(bytes)}${hash})\n`,
        );
        const warning = classifyLicence(manifest.licence).warning;
        if (warning) process.stdout.write(`! ${warning}\n`);
      } catch (error) {
        printer.end();
        if (!controller.signal.aborted) throw error;
        process.stderr.write(`argus: pull of ${manifest.alias} interrupted; run \`argus models pull ${manifest.alias}\` again to resume\n`);
        process.exitCode = 130;
      } finally {
        process.off('SIGINT', onInterrupt);
      }
    });

  models
    .command('rm')
    .description('delete the downloaded files of a url or Hugging Face model')
    .argument('<alias>', 'model alias')
    .option('--force', "also delete a file source's own file (yours, not a download)")
    .action((alias: string, options: { force?: boolean }, command: Command) => {
      const config = configFrom(command);
      const catalog = new Catalog({ modelsDir: config.modelsDir, modelRoots: config.modelRoots });
      const result = removeModel(catalog, catalog.require(alias), { force: options.force });
      if (result.deleted.length === 0) {
        process.stdout.write(`nothing to delete: ${result.alias} has no files in ${config.modelsDir}\n`);
        return;
      }
      if (result.folder) process.stdout.write(`deleted ${result.folder}/ (${result.deleted.length} files)\n`);
      for (const file of result.deleted) process.stdout.write(`deleted ${file.path} (${formatBytes(file.bytes)})\n`);
    });
  return models;
}
