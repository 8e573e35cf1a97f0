import { Command, Option } from 'commander';
import { lastAdminRefusal, parseConfiguredKey } from '../service/keys.js';
import { KEY_SCOPES, KeyFile, keysFilePath, type KeyScope } from '../store/keys.js';
import { configFrom } from './options.js';

/** `argus keys create|list|revoke`: manages the keys file a server reads (and re-reads when it changes). */
export function keysCommand(): Command {
  const keys = new Command('keys').description('manage API keys (stored hashed in <data-dir>/api-keys.json or ARGUS_API_KEYS_FILE)');
  const fileOf = (command: Command) => new KeyFile(keysFilePath(configFrom(command)));

  keys.command('create')
    .description('create a key; it is printed once and stored only as a hash')
    .addOption(new Option('--scope <scope>', 'what the key may do').choices(KEY_SCOPES as string[]).default('inference'))
    .option('--name <name>', 'a label for people (who or what uses the key)', '')
    .action((options: { scope: KeyScope; name: string }, command: Command) => {
      const { key, secret } = fileOf(command).create(options.scope, options.name);
      process.stderr.write(`created ${key.scope} key ${key.id}${key.name ? ` (${key.name})` : ''}; it is shown once, keep it now:\n`);
      process.stdout.write(`${secret}\n`);
    });

  keys.command('list')
    .description('list keys (ids, scopes, names; never the keys)')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }, command: Command) => {
      const list = fileOf(command).read().map(({ id, name, scope, created_at }) => ({ id, name, scope, created_at }));
      if (options.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      else for (const k of list) process.stdout.write(`${k.id}\t${k.scope}\t${k.created_at}\t${k.name}\n`);
    });

  keys.command('revoke')
    .description('remove a key by id; a running server stops accepting it within a second')
    .argument('<id>', 'key id (k_…)')
    .option('--force', 'revoke even the last admin key (a running server then answers 401 to every request that needs a key until it restarts)')
    .action((id: string, options: { force?: boolean }, command: Command) => {
      const file = fileOf(command);
      const refusal = options.force ? undefined : lastAdminRefusal([...file.read(), ...configFrom(command).apiKeys.map(parseConfiguredKey)], id);
      if (refusal) {
        process.stderr.write(`argus: ${id} is the last admin key; create another admin key first (argus keys create --scope admin), or pass --force to revoke it anyway (a running server then refuses every request that needs a key)\n`);
        process.exitCode = 1;
        return;
      }
      if (!file.revoke(id)) {
        process.stderr.write(`argus: no key with id ${id}\n`);
        process.exitCode = 2;
      }
    });
  return keys;
}
