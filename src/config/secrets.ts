/**
 * Secrets that manifests name but never hold: an upstream's API key is read from the environment
 * variable its manifest names (`apiKeyEnv`), so the key itself is never written in a file Argus reads.
 * This is the one place outside `load.ts` that reads `process.env`; everything else is handed a
 * {@link SecretSource}.
 */

/** Looks a secret up by the name of the variable that holds it; undefined when it is unset or empty. */
export type SecretSource = (name: string) => string | undefined;

/**
 * Secrets from an environment (the process's own by default), read at each look-up. An upstream
 * model reads its key when it is first used; evicting it (POST /v1/system/evict/{alias}) makes the
 * next request read it again.
 */
export function envSecrets(env: NodeJS.ProcessEnv = process.env): SecretSource {
  return (name) => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };
}
