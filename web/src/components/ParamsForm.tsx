import type { ParamField } from '../tasks';

export type ParamValues = Record<string, string | boolean>;

interface Props {
  fields: ParamField[];
  values: ParamValues;
  onChange(values: ParamValues): void;
  idPrefix: string;
}

const current = (field: ParamField, values: ParamValues) => values[field.name] ?? (field.default === undefined ? '' : field.type === 'boolean' ? Boolean(field.default) : String(field.default));

/**
 * The task's parameters as form fields, read from the route's schema: a slider for 0–1
 * thresholds, number boxes for limits, a checkbox for switches, text (comma-separated) for lists.
 */
export function ParamsForm({ fields, values, onChange, idPrefix }: Props) {
  const set = (name: string, value: string | boolean) => onChange({ ...values, [name]: value });
  return (
    <div class="params">
      {fields.map((field) => {
        const id = `${idPrefix}-${field.name}`;
        const hint = field.description ? `${id}-hint` : undefined;
        const value = current(field, values);
        const isFraction = field.type === 'number' && field.minimum === 0 && field.maximum === 1;
        return (
          <div key={field.name} class={`field field-${field.type}`}>
            {field.type === 'boolean' ? (
              <label class="check" for={id}>
                <input id={id} type="checkbox" checked={value === true} aria-describedby={hint} onChange={(e) => set(field.name, e.currentTarget.checked)} />
                {field.name}
              </label>
            ) : (
              <label for={id}>
                {field.name}
                {isFraction && <output for={id} class="value">{Number(value || 0).toFixed(2)}</output>}
              </label>
            )}
            {isFraction ? (
              <input id={id} type="range" min={0} max={1} step={0.01} value={String(value)} aria-describedby={hint} onInput={(e) => set(field.name, e.currentTarget.value)} />
            ) : field.type === 'number' || field.type === 'integer' ? (
              <input id={id} type="number" inputMode={field.type === 'integer' ? 'numeric' : 'decimal'} min={field.minimum} max={field.maximum}
                step={field.type === 'integer' ? 1 : 'any'} value={String(value)} aria-describedby={hint} onInput={(e) => set(field.name, e.currentTarget.value)} />
            ) : field.type === 'boolean' ? null : (
              <input id={id} type="text" value={String(value)} placeholder={field.type === 'list' ? 'comma-separated' : undefined} aria-describedby={hint}
                onInput={(e) => set(field.name, e.currentTarget.value)} />
            )}
            {hint && <small id={hint} class="hint">{field.description}</small>}
          </div>
        );
      })}
    </div>
  );
}
