import { useEffect, useState } from 'preact/hooks';

/** The files/recognition report (label counts, confidence histogram), served by Argus as its own page. */
export const REPORT_URL = '/visualization/report';

/** /reports: a pointer to the report page, saying whether this server has it. */
export function Reports() {
  const [available, setAvailable] = useState<boolean>();
  useEffect(() => {
    fetch(REPORT_URL, { method: 'HEAD' }).then((r) => setAvailable(r.ok), () => setAvailable(false));
  }, []);
  return (
    <div class="page">
      <h1 tabIndex={-1}>Reports</h1>
      <div class="panel">
        <p>
          The statistics of the files and recognition API — label counts and the confidence histogram — are on their own page:{' '}
          <a href={REPORT_URL}>open the report</a>.
        </p>
        {available === false && <p class="muted">This server does not answer {REPORT_URL} yet.</p>}
      </div>
    </div>
  );
}
