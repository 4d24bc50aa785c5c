// The dashboard's shell: sign-in, the navigation, the organization's context, and the pages.
import { html, render, useEffect, useRef, useState } from '../vendor/preact-htm.module.js';
import { ApiError, get, getAll, login, logout, onSessionChange, signedIn } from './api.js';
import { Loading, Problem, href, parseHash } from './ui.js';
import { Heatmap } from './heatmap.js';
import { Trends } from './trends.js';
import { Locations, Scorecard } from './locations.js';
import { ReviewQueue, Review } from './review.js';
import { Beliefs } from './beliefs.js';
import { Actions } from './actions.js';
import { Shoppers } from './shoppers.js';

const PAGES = [
  ['heatmap', 'Gaps', Heatmap],
  ['trends', 'Trends', Trends],
  ['locations', 'Locations', Locations],
  ['review', 'Review', ReviewQueue],
  ['beliefs', 'Beliefs & five gaps', Beliefs],
  ['actions', 'Actions', Actions],
  ['shoppers', 'Shoppers', Shoppers],
];

// Right-to-left when the browser's language is written so, or when asked for (`?dir=rtl`,
// kept for the tab); the layout uses logical properties, so it mirrors as a whole.
const RTL_LANGUAGES = ['ar', 'fa', 'he', 'ur', 'ps', 'ku', 'yi', 'dv'];
function applyDirection() {
  const asked = new URLSearchParams(location.search).get('dir');
  if (asked === 'rtl' || asked === 'ltr') sessionStorage.setItem('shopgap.dir', asked);
  const lang = (navigator.language || 'en').split('-')[0];
  const dir = sessionStorage.getItem('shopgap.dir') || (RTL_LANGUAGES.includes(lang) ? 'rtl' : 'ltr');
  document.documentElement.dir = dir;
  document.documentElement.lang = navigator.language || 'en';
}

function SignIn() {
  const [form, setForm] = useState({ email: '', password: '', organization: '' });
  const [choices, setChoices] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });
  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(form.email, form.password, form.organization || undefined);
    } catch (err) {
      // The address opens accounts in several organizations: pick one.
      const orgs = err instanceof ApiError ? err.problem.organizations : null;
      if (err.status === 422 && Array.isArray(orgs)) setChoices(orgs);
      else setError(err);
    } finally {
      setBusy(false);
    }
  }
  return html`<main id="main" class="signin">
    <form class="card" onSubmit=${submit} aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in to shopgap</h1>
      <p class="muted">Managers and admins review the delivery gap here.</p>
      <${Problem} error=${error} />
      <label>Email<input name="email" type="email" autocomplete="username" required value=${form.email} onInput=${set('email')} /></label>
      <label>Password<input name="password" type="password" autocomplete="current-password" required value=${form.password} onInput=${set('password')} /></label>
      ${choices &&
      html`<label>Organization
        <select name="organization" required value=${form.organization} onChange=${set('organization')}>
          <option value="">Choose…</option>
          ${choices.map((o) => html`<option value=${o.id}>${o.name}</option>`)}
        </select>
      </label>`}
      <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
  </main>`;
}

/** What every page needs about the organization: who is signed in, regions, checklists, locations. */
async function loadContext() {
  const me = await get('/v1/me');
  // Shoppers may not read the organization's reports: nothing more to load for them.
  if (me.user?.role === 'shopper') return { me };
  const [locations, checklists] = await Promise.all([
    getAll('/v1/locations'),
    getAll('/v1/checklists'),
  ]);
  const published = checklists
    .map((c) => ({ ...c, latest: c.versions.find((v) => v.status === 'published') }))
    .filter((c) => c.latest);
  return {
    me,
    locations: locations.sort((a, b) => a.code.localeCompare(b.code)),
    regions: [...new Set(locations.map((l) => l.region))].sort(),
    checklists: published.map((c) => ({ id: c.id, name: c.name, channel: c.latest.channel })),
    channels: [...new Set(published.map((c) => c.latest.channel))].sort(),
  };
}

function Shell() {
  const [route, setRoute] = useState(parseHash());
  const [context, setContext] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    const follow = () => setRoute(parseHash());
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);
  useEffect(() => {
    loadContext().then(setContext).catch(setError);
  }, []);
  const page = route.parts[0] || 'heatmap';
  const where = route.parts.join('/');
  useEffect(() => {
    const title = PAGES.find(([key]) => key === page)?.[1] || 'shopgap';
    document.title = `${title} · shopgap`;
  }, [page]);
  // A new page (not a new filter) puts the focus on its content, as a page load would.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else document.getElementById('main')?.focus();
  }, [where]);
  if (error) return html`<main id="main"><${Problem} error=${error} /></main>`;
  if (!context) return html`<main id="main"><${Loading} what="Loading the organization" /></main>`;
  const user = context.me.user;
  if (!user || user.role === 'shopper') {
    return html`<main id="main" class="signin"><div class="card">
      <h1>Managers and admins only</h1>
      <p>The dashboard is for reviewing scores. Shoppers use the mobile app.</p>
      <button onClick=${logout}>Sign out</button>
    </div></main>`;
  }
  const [, , Page] = PAGES.find(([key]) => key === page) || PAGES[0];
  const detail =
    (page === 'locations' && route.parts[1] && Scorecard) ||
    (page === 'review' && route.parts[1] && Review) ||
    null;
  const Shown = detail || Page;
  return html`
    <header class="bar">
      <span class="org">${context.me.organization.name}</span>
      <nav aria-label="Pages">
        <ul>
          ${PAGES.map(
            ([key, title]) => html`<li><a href=${href([key])} aria-current=${key === page ? 'page' : undefined}>${title}</a></li>`,
          )}
        </ul>
      </nav>
      <span class="who"><span>${user.display_name} · ${user.role}</span>
        <button type="button" onClick=${logout}>Sign out</button></span>
    </header>
    <main id="main" tabindex="-1">
      <${Shown} key=${route.parts.join('/')} route=${route} context=${context} />
    </main>`;
}

function App() {
  const [inside, setInside] = useState(signedIn());
  useEffect(() => onSessionChange((s) => setInside(s !== null)), []);
  return inside ? html`<${Shell} />` : html`<${SignIn} />`;
}

// The skip link moves the focus (a `#main` address would be read as a page by the router).
document.querySelector('.skip')?.addEventListener('click', (e) => {
  e.preventDefault();
  document.getElementById('main')?.focus();
});
applyDirection();
const root = document.getElementById('root');
root.textContent = ''; // the loading note of index.html
render(html`<${App} />`, root);
