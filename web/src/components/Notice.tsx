import type { ComponentChildren } from 'preact';

/** A message block: errors are announced at once (role=alert), other notes politely. */
export function Notice({ kind = 'info', children }: { kind?: 'info' | 'error' | 'warning'; children: ComponentChildren }) {
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}
