import { useEffect, useState } from 'preact/hooks';
import { apiKey, authedFetch } from './api';

/**
 * An API image (history thumbnails and previews) as an <img> can show it. Without an API key the
 * URL itself; with one, the image is fetched with the key (an <img> cannot send headers) and
 * shown from an object URL, released when the component goes.
 */
export function useImageUrl(url: string | undefined): string | undefined {
  // Only Argus's own URLs need the key (a picked file is already a blob: URL).
  const key = url?.startsWith('/') ? apiKey() : undefined;
  const [objectUrl, setObjectUrl] = useState<string>();
  useEffect(() => {
    if (!url || !key) return;
    let alive = true;
    let made: string | undefined;
    authedFetch(url)
      .then((response) => (response.ok ? response.blob() : undefined))
      .then((blob) => {
        if (!blob || !alive) return;
        made = URL.createObjectURL(blob);
        setObjectUrl(made);
      })
      .catch(() => undefined);
    return () => {
      alive = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [url, key]);
  return key ? objectUrl : url;
}
