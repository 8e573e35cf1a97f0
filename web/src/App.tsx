import { useEffect, useRef } from 'preact/hooks';
import { KeyPrompt } from './components/KeyPrompt';
import { Notice } from './components/Notice';
import { History } from './pages/History';
import { HistoryDetail } from './pages/HistoryDetail';
import { People } from './pages/People';
import { Playground } from './pages/Playground';
import { Reports, REPORT_URL } from './pages/Reports';
import { System } from './pages/System';
import { followLink, match, useLocation } from './router';

const NAV = [
  { href: '/', label: 'Playground' },
  { href: '/history', label: 'History' },
  { href: '/people', label: 'People' },
  { href: '/system', label: 'System' },
];

function page(path: string) {
  if (match('/', path)) return <Playground />;
  if (match('/history', path)) return <History />;
  const entry = match('/history/:id', path);
  if (entry) return <HistoryDetail id={entry.id} />;
  if (match('/people', path)) return <People />;
  if (match('/system', path)) return <System />;
  if (match('/reports', path)) return <Reports />;
  return <Notice kind="warning">No page at {path}. <a href="/" onClick={followLink}>Go to the playground</a>.</Notice>;
}

/** The dashboard's frame: a skip link, the navigation and the current page. */
export function App() {
  const { path } = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // After a client-side navigation, move focus to the new page's heading, as a page load would.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const heading = main.current?.querySelector<HTMLElement>('h1');
    (heading ?? main.current)?.focus();
    window.scrollTo(0, 0);
  }, [path]);

  const section = path.startsWith('/history') ? '/history' : path;
  return (
    <>
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="topbar">
        <a class="brand" href="/" onClick={followLink}>
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true"><circle cx="12" cy="12" r="10" fill="none" stroke="currentColor" stroke-width="2" /><circle cx="12" cy="12" r="4" fill="currentColor" /></svg>
          Argus
        </a>
        <nav aria-label="Dashboard">
          <ul>
            {NAV.map((item) => (
              <li key={item.href}>
                <a href={item.href} onClick={followLink} aria-current={section === item.href ? 'page' : undefined}>{item.label}</a>
              </li>
            ))}
            <li><a href={REPORT_URL}>Reports</a></li>
            <li class="nav-secondary"><a href="/docs">API docs</a></li>
          </ul>
        </nav>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <KeyPrompt />
        {page(path)}
      </main>
    </>
  );
}
