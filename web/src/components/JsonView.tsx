import { useState } from 'preact/hooks';

/** The raw JSON, one click away (a disclosure), with a copy button. */
export function JsonView({ value, title = 'Raw JSON' }: { value: unknown; title?: string }) {
  const [copied, setCopied] = useState(false);
  const text = JSON.stringify(value, null, 2);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      setCopied(false);
    }
  };
  return (
    <details class="json-view">
      <summary>{title}</summary>
      <div class="json-actions">
        <button type="button" class="small" onClick={() => void copy()}>{copied ? 'Copied' : 'Copy'}</button>
      </div>
      <pre tabIndex={0}>{text}</pre>
    </details>
  );
}
