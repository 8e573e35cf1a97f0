import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/load.js';

/** Global flags (on the root command) and a command's own flags → config overrides. */
export function configFrom(command: Command, overrides: Partial<Config> = {}): Config {
  const globals = command.optsWithGlobals<{ config?: string; modelsDir?: string; dataDir?: string; logLevel?: Config['logLevel'] }>();
  return loadConfig({
    file: globals.config,
    overrides: { modelsDir: globals.modelsDir, dataDir: globals.dataDir, logLevel: globals.logLevel, ...overrides },
  });
}

export function parseNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`not a number: ${value}`);
  return n;
}
