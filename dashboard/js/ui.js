// What every page shares: loading data, showing problems, formatting, charts, filters, links.
import { html, useEffect, useRef, useState } from '../vendor/preact-htm.module.js';
import { ApiError, call, query } from './api.js';

// ---- Routing: `#/page/id?filters`, so every view is a link and the back button works. ----

export function parseHash(hash = location.hash) {
  const [path, search = ''] = hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, params: Object.fromEntries(new URLSearchParams(search)) };
}

export function href(parts, params = {}) {
  const search = new URLSearchParams(
    Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ''),
  ).toString();
  return `#/${parts.map(encodeURIComponent).join('/')}${search ? `?${search}` : ''}`;
}

export function go(parts, params) {
  location.hash = href(parts, params);
}

// ---- Data ----

/** Runs `load` whenever `deps` change: `{ data, error, loading, reload }`. */
export function useLoad(load, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    load()
      .then((data) => live && setState({ data, error: null, loading: false }))
      .catch((error) => live && setState({ data: null, error, loading: false }));
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

export function Problem({ error }) {
  if (!error) return null;
  const problem = error instanceof ApiError ? error.problem : {};
  const fields = problem.errors || [];
  return html`<div class="error" role="alert">
    <strong>${problem.title || 'Something went wrong'}</strong>
    <div>${error.message}</div>
    ${fields.length > 0 &&
    html`<ul>${fields.map((f) => html`<li><code>${f.field}</code>: ${f.message}</li>`)}</ul>`}
  </div>`;
}

export function Loading({ what = 'Loading' }) {
  return html`<p class="loading" role="status">${what}…</p>`;
}

/** Loading, a problem, or the content once the data is there. */
export function Loaded({ state, children }) {
  if (state.error) return html`<${Problem} error=${state.error} />`;
  if (state.loading && !state.data) return html`<${Loading} />`;
  // While new figures load the old ones stay, marked busy, and the change is announced.
  return html`<div aria-busy=${state.loading ? 'true' : 'false'}>
    <p class="visually-hidden" role="status">${state.loading ? 'Updating…' : 'Updated.'}</p>
    ${children(state.data)}
  </div>`;
}

// ---- Formatting: shares as percentages, gaps as percentage points. ----

const numbers = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
export const pct = (v) => (v === null || v === undefined ? '–' : `${numbers.format(v * 100)} %`);
export const pts = (v) =>
  v === null || v === undefined ? '–' : `${v > 0 ? '+' : ''}${numbers.format(v * 100)} pts`;
export const num = (v, digits = 1) =>
  v === null || v === undefined
    ? '–'
    : new Intl.NumberFormat(undefined, { maximumFractionDigits: digits }).format(v);
export const interval = (lo, hi, f = pct) =>
  lo === null || lo === undefined ? '' : `${f(lo)} – ${f(hi)}`;
export const day = (iso) => (iso ? new Date(iso).toLocaleDateString() : '–');
export const when = (iso) =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '–';
export const isoDay = (date) => date.toISOString().slice(0, 10);
export function daysAgo(n) {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() - n);
  return isoDay(d);
}

/** A gap's colour: greens at or above target, through amber, to red at 30 points short. */
export function gapColour(gap) {
  if (gap === null || gap === undefined) return '#e9ecef';
  const short = Math.max(-0.1, Math.min(0.3, gap));
  const hue = short <= 0 ? 130 : 130 - (short / 0.3) * 130;
  const light = short <= 0 ? 82 + short * 60 : 82 - (short / 0.3) * 10;
  return `hsl(${hue.toFixed(0)} 70% ${light.toFixed(0)}%)`;
}

// ---- Charts: Chart.js, each with its data as a table for screen readers and keyboards. ----

const rtl = () => document.documentElement.dir === 'rtl';

/**
 * A Chart.js chart. `summary` is the text alternative (the canvas's accessible name); `table`
 * (head, rows) is the same data for reading, under a disclosure.
 */
export function Chart({ config, summary, table, tall = false }) {
  const canvas = useRef(null);
  useEffect(() => {
    if (!window.Chart || !canvas.current) return undefined;
    const options = config.options || {};
    const chart = new window.Chart(canvas.current, {
      ...config,
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        locale: document.documentElement.lang,
        ...options,
        plugins: {
          ...(options.plugins || {}),
          legend: { rtl: rtl(), ...(options.plugins?.legend || {}) },
          tooltip: { rtl: rtl(), ...(options.plugins?.tooltip || {}) },
        },
      },
    });
    return () => chart.destroy();
  }, [JSON.stringify(config.data), JSON.stringify(config.options || {})]);
  return html`<figure class="chart-figure">
    <div class=${tall ? 'chart tall' : 'chart'}>
      <canvas ref=${canvas} role="img" aria-label=${summary}></canvas>
    </div>
    <figcaption class="muted">${summary}</figcaption>
    ${table &&
    html`<details class="data">
      <summary>The data as a table</summary>
      <div class="scroll">
        <table>
          <thead><tr>${table.head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
          <tbody>${table.rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody>
        </table>
      </div>
    </details>`}
  </figure>`;
}

// ---- Filters shared by the report pages ----

export const CHANNELS = ['in_person', 'phone', 'email', 'chat', 'web', 'social_media', 'self_service', 'mobile_app', 'video', 'sms'];
export const SEGMENTS = ['b2c', 'b2b'];
export const DIMENSIONS = ['tangibles', 'reliability', 'responsiveness', 'assurance', 'empathy'];
export const label = (code) => (code ? code.replace(/_/g, ' ') : '');

export const PERIODS = [
  ['30', 'Last 30 days'],
  ['90', 'Last 90 days'],
  ['180', 'Last 6 months'],
  ['365', 'Last 12 months'],
  ['all', 'All history'],
];

/** The `from` of a period choice (`all`: none). */
export const periodFrom = (period) => (period === 'all' ? undefined : daysAgo(Number(period || 90)));

function Select({ name, text, value, options, onChange, any = 'All' }) {
  return html`<label>${text}
    <select name=${name} value=${value || ''} onChange=${(e) => onChange(name, e.target.value)}>
      ${any !== null && html`<option value="">${any}</option>`}
      ${options.map(([v, t]) => html`<option value=${v}>${t}</option>`)}
    </select>
  </label>`;
}

/**
 * The filter bar: `shown` names which of period, region, segment, channel, checklist and
 * location to offer; `context` holds the organization's regions, checklists and locations.
 */
export function Filters({ params, onChange, context, shown }) {
  const has = (f) => shown.includes(f);
  return html`<form class="filters card" role="search" aria-label="Filters" onSubmit=${(e) => e.preventDefault()}>
    ${has('period') &&
    html`<${Select} name="period" text="Period" value=${params.period || '90'} options=${PERIODS} onChange=${onChange} any=${null} />`}
    ${has('region') &&
    html`<${Select} name="region" text="Region" value=${params.region} options=${context.regions.map((r) => [r, r])} onChange=${onChange} />`}
    ${has('segment') &&
    html`<${Select} name="segment" text="Segment" value=${params.segment} options=${SEGMENTS.map((s) => [s, s.toUpperCase()])} onChange=${onChange} />`}
    ${has('channel') &&
    html`<${Select} name="channel" text="Channel" value=${params.channel} options=${context.channels.map((c) => [c, label(c)])} onChange=${onChange} />`}
    ${has('checklist') &&
    html`<${Select} name="checklist" text="Checklist" value=${params.checklist} options=${context.checklists.map((c) => [c.id, c.name])} onChange=${onChange} />`}
    ${has('location') &&
    html`<${Select} name="location" text="Location" value=${params.location} options=${context.locations.map((l) => [l.id, `${l.code} · ${l.name}`])} onChange=${onChange} />`}
  </form>`;
}

/** The API parameters of the shared filters. */
export function filterQuery(params) {
  return {
    from: periodFrom(params.period),
    region: params.region,
    segment: params.segment,
    channel: params.channel,
    checklist_id: params.checklist,
  };
}

export function Badge({ kind, children }) {
  return html`<span class=${`badge ${kind || ''}`}>${children}</span>`;
}

/** A button that downloads a report as CSV (read with the token, saved from a blob). */
export function CsvLink({ path, params, name }) {
  const [error, setError] = useState(null);
  async function download() {
    setError(null);
    try {
      const { body } = await call('GET', path + query(params), { as: 'blob' });
      const url = URL.createObjectURL(body);
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      setError(err);
    }
  }
  return html`<button type="button" class="secondary" onClick=${download}>Download CSV</button><${Problem} error=${error} />`;
}
