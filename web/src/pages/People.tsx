import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, authedFetch, post } from '../api';
import { Notice } from '../components/Notice';
import { useImageUrl } from '../images';

interface GalleryFace {
  id: string;
  box: { x1: number; y1: number; x2: number; y2: number };
  confidence: number;
  model: string;
  owner: string | null;
  created_at: string;
  image_url?: string;
}

interface Person {
  name: string;
  faces: GalleryFace[];
}

interface Registered {
  name: string;
  created: boolean;
  added: GalleryFace[];
  skipped: Array<{ image: number; reason: string }>;
}

const personPath = (name: string) => `/v1/faces/gallery/${encodeURIComponent(name)}`;

function FaceThumb({ name, face, onDelete }: { name: string; face: GalleryFace; onDelete: () => void }) {
  const src = useImageUrl(face.image_url);
  return (
    <li class="face-thumb">
      {src ? <img src={src} alt={`A registered face of ${name}`} width={96} height={96} /> : <span class="face-placeholder">no crop</span>}
      <button type="button" class="small danger" onClick={onDelete} aria-label={`Remove this face of ${name}`}>Remove</button>
    </li>
  );
}

/**
 * /people: the face gallery. Add a person (a name and photos; the largest face of each is kept),
 * add photos to someone, remove a face or a person. Recognition (POST /v1/faces/recognize, or
 * DeepStack's /v1/vision/face/recognize) names faces after these people.
 */
export function People() {
  const [people, setPeople] = useState<Person[]>();
  const [threshold, setThreshold] = useState<number>();
  const [error, setError] = useState<string>();
  const [message, setMessage] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [name, setName] = useState('');
  const files = useRef<HTMLInputElement>(null);

  const load = () => api<{ people: Person[]; threshold: number }>('/v1/faces/gallery')
    .then((body) => {
      setPeople(body.people);
      setThreshold(body.threshold);
    })
    .catch((e: unknown) => setError((e as Error).message));
  useEffect(() => void load(), []);

  async function register(event: Event) {
    event.preventDefault();
    const chosen = [...(files.current?.files ?? [])];
    if (!name.trim() || chosen.length === 0) {
      setError('Give a name and at least one photo.');
      return;
    }
    const form = new FormData();
    form.append('name', name.trim());
    for (const file of chosen) form.append('image', file, file.name);
    setBusy(true);
    setError(undefined);
    setMessage(undefined);
    try {
      const result = await post<Registered>('/v1/faces/gallery', form);
      const skipped = result.skipped.map((s) => `${chosen[s.image]?.name ?? `image ${s.image + 1}`}: ${s.reason}`);
      setMessage(`${result.name}: ${result.created ? 'added' : 'updated'} with ${result.added.length} face(s).${skipped.length ? ` Skipped ${skipped.join('; ')}.` : ''}`);
      setName('');
      if (files.current) files.current.value = '';
      await load();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  async function remove(path: string, what: string) {
    if (!confirm(`Remove ${what}?`)) return;
    const response = await authedFetch(path, { method: 'DELETE' });
    if (!response.ok && response.status !== 404) setError(`Could not remove ${what} (HTTP ${response.status}).`);
    await load();
  }

  return (
    <div class="page">
      <h1 tabIndex={-1}>People</h1>
      <p class="muted">
        The face gallery: recognition names a face after the person whose registered face it matches best
        {threshold !== undefined && <> (similarity at least {threshold})</>}, else it is unknown. Several photos per person, in different light
        and from different angles, help. Everything stays on this server.
      </p>
      {error && <Notice kind="error">{error}</Notice>}
      {message && <Notice>{message}</Notice>}
      <form class="panel people-form" onSubmit={(e) => void register(e)}>
        <h2>Add a person, or photos of someone</h2>
        <div class="field">
          <label for="person-name">Name</label>
          <input id="person-name" type="text" maxLength={100} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} autoComplete="off" />
        </div>
        <div class="field">
          <label for="person-photos">Photos (the largest face of each is kept)</label>
          <input id="person-photos" ref={files} type="file" accept="image/*" multiple />
        </div>
        <button type="submit" disabled={busy}>{busy ? 'Adding…' : 'Add'}</button>
      </form>
      {people === undefined && !error && <p class="muted">Loading…</p>}
      {people?.length === 0 && <p>Nobody is registered yet.</p>}
      <ul class="people-list">
        {people?.map((person) => (
          <li key={person.name} class="panel" data-person={person.name}>
            <div class="person-head">
              <h2>{person.name}</h2>
              <span class="muted">{person.faces.length} face{person.faces.length === 1 ? '' : 's'}</span>
              <button type="button" class="small danger" onClick={() => void remove(personPath(person.name), person.name)} aria-label={`Remove ${person.name}`}>Remove person</button>
            </div>
            <ul class="face-thumbs">
              {person.faces.map((face) => (
                <FaceThumb key={face.id} name={person.name} face={face} onDelete={() => void remove(`${personPath(person.name)}/faces/${face.id}`, `this face of ${person.name}`)} />
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </div>
  );
}
