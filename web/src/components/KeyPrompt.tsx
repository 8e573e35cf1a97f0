import { useEffect, useState } from 'preact/hooks';
import { apiKey, onKeyNeeded, setApiKey } from '../api';

/**
 * Asks for an API key once the server has refused a request with 401 (keys are configured). The
 * key is kept in this browser and sent with every call; the page reloads to use it everywhere.
 */
export function KeyPrompt() {
  const [needed, setNeeded] = useState(false);
  const [value, setValue] = useState('');
  useEffect(() => onKeyNeeded(() => setNeeded(true)), []);
  if (!needed) return null;
  const had = apiKey() !== undefined;
  return (
    <form
      class="panel key-prompt"
      aria-labelledby="key-heading"
      onSubmit={(e) => {
        e.preventDefault();
        if (!value.trim()) return;
        setApiKey(value.trim());
        location.reload();
      }}
    >
      <h2 id="key-heading">{had ? 'That API key was refused' : 'This Argus needs an API key'}</h2>
      <p class="muted">The dashboard calls the same API as any client. Paste a key (from <code>argus keys create</code>); it is kept in this browser only.</p>
      <div class="row">
        <label class="visually-hidden" for="api-key">API key</label>
        <input id="api-key" type="password" autoComplete="off" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        <button type="submit">Use key</button>
        {had && <button type="button" class="secondary" onClick={() => (setApiKey(undefined), location.reload())}>Forget key</button>}
      </div>
    </form>
  );
}
