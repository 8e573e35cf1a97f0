import { useEffect, useRef, useState } from 'preact/hooks';

/** What the playground runs on: a picked, dropped or pasted file, or a URL Argus fetches itself. */
export type ImageChoice = { kind: 'file'; file: File; src: string } | { kind: 'url'; url: string };

interface Props {
  value?: ImageChoice;
  onChange(choice: ImageChoice): void;
  /** Whether the server takes `{"url": …}` inputs (its OpenAPI schema says so). */
  urlSupported: boolean;
}

const isImage = (file: File) => file.type.startsWith('image/');

/** Drop, pick or paste an image (or give a URL). The file input stays a real, focusable input. */
export function ImagePicker({ value, onChange, urlSupported }: Props) {
  const [dragging, setDragging] = useState(false);
  const [url, setUrl] = useState('');
  const [problem, setProblem] = useState<string>();
  const latest = useRef(onChange);
  latest.current = onChange;

  const useFile = (file: File | undefined) => {
    if (!file) return;
    if (!isImage(file)) {
      setProblem(`${file.name || 'That file'} is not an image.`);
      return;
    }
    setProblem(undefined);
    latest.current({ kind: 'file', file, src: URL.createObjectURL(file) });
  };

  // Pasting an image anywhere on the page uses it (a screenshot, a copied picture).
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const file = [...(event.clipboardData?.files ?? [])].find(isImage);
      if (file) useFile(file);
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, []);

  // Object URLs hold the file in memory until revoked.
  useEffect(() => () => {
    if (value?.kind === 'file') URL.revokeObjectURL(value.src);
  }, [value]);

  return (
    <div class="picker">
      <div
        class={`drop${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          useFile(e.dataTransfer?.files[0]);
        }}
      >
        {value?.kind === 'file' ? <img class="drop-preview" src={value.src} alt="" /> : null}
        <div class="drop-text">
          <label class="button" for="image-file">Choose an image</label>
          <input id="image-file" class="visually-hidden" type="file" accept="image/*" onChange={(e) => useFile(e.currentTarget.files?.[0])} />
          <span class="muted">{value?.kind === 'file' ? value.file.name : 'or drop one here, or paste it'}</span>
        </div>
      </div>
      {urlSupported && (
        <form
          class="url-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (url.trim()) latest.current({ kind: 'url', url: url.trim() });
          }}
        >
          <label for="image-url">or an image URL</label>
          <div class="row">
            <input id="image-url" type="url" inputMode="url" placeholder="https://…" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
            <button type="submit" class="secondary">Use URL</button>
          </div>
          {value?.kind === 'url' && <small class="hint">Argus fetches it; the picture appears with the result.</small>}
        </form>
      )}
      {problem && <p class="notice notice-error" role="alert">{problem}</p>}
    </div>
  );
}
