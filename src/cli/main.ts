#!/usr/bin/env node
import { Command, Option } from 'commander';
import { ConfigError } from '../config/load.js';
import { VERSION } from '../app/argus.js';
import { ArgusError } from '../errors.js';
import { analyzeCommand } from './analyze.js';
import { classifyCommand } from './classify.js';
import { detectCommand } from './detect.js';
import { doctorCommand } from './doctor.js';
import { embedCommand } from './embed.js';
import { keysCommand } from './keys.js';
import { modelsCommand } from './models.js';
import { addFaceGalleryCommands } from './face-gallery.js';
import { facesCommand, ocrCommand, poseCommand, segmentCommand } from './perception.js';
import { serveCommand } from './serve.js';
import { workerCommand } from './worker.js';

const program = new Command()
  .name('argus')
  .description('Self-hosted computer-vision inference server')
  .version(VERSION)
  .addOption(new Option('-c, --config <file>', 'config file (JSON or YAML)'))
  .addOption(new Option('--models-dir <dir>', 'folder holding model files'))
  .addOption(new Option('--data-dir <dir>', 'folder for the database and uploads'))
  .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']));

program.addCommand(serveCommand());
program.addCommand(workerCommand());
program.addCommand(detectCommand());
program.addCommand(classifyCommand());
program.addCommand(embedCommand());
program.addCommand(ocrCommand());
program.addCommand(addFaceGalleryCommands(facesCommand()));
program.addCommand(poseCommand());
program.addCommand(segmentCommand());
program.addCommand(modelsCommand());
program.addCommand(keysCommand());
program.addCommand(analyzeCommand());
program.addCommand(doctorCommand());

program.parseAsync().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof ArgusError) {
    process.stderr.write(`argus: ${error.message}\n`);
  } else {
    process.stderr.write(`argus: ${(error as Error)?.stack ?? String(error)}\n`);
  }
  process.exitCode = error instanceof ArgusError && error.status < 500 ? 2 : 1;
});
