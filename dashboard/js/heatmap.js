// The gap heatmap: standards across, locations or regions down, each cell coloured by the gap
// to target, with unreliable cells hatched and significant shortfalls outlined (and marked in
// text, so colour is never the only sign).
import { html, useEffect, useRef, useState } from '../vendor/preact-htm.module.js';
import { get } from './api.js';
import {
  CsvLink, Filters, Loaded, filterQuery, gapColour, go, href, interval, pct, pts, useLoad,
} from './ui.js';

function describe(row, where) {
  const parts = [
    `${row.standard} at ${where}: delivered ${pct(row.delivered)}`,
    `95 % interval ${interval(row.ci_low, row.ci_high)}`,
  ];
  if (row.target !== null && row.target !== undefined) parts.push(`target ${pct(row.target)}`);
  if (row.gap !== null && row.gap !== undefined) parts.push(`gap ${pts(row.gap)}`);
  parts.push(`${row.n} visits`);
  if (row.significant && row.gap > 0) parts.push('significant shortfall');
  if (!row.reliable) parts.push('too few visits to rely on');
  return parts.join(', ');
}

function Cell({ row, where, onPick, picked }) {
  if (!row) return html`<td class="empty"><span class="visually-hidden">no visits</span></td>`;
  const classes = [
    row.reliable ? '' : 'unreliable',
    row.significant && row.gap > 0 ? 'significant' : '',
  ].join(' ');
  return html`<td class=${classes} style=${{ background: gapColour(row.gap) }}>
    <button type="button" aria-label=${describe(row, where)} title=${describe(row, where)}
      aria-pressed=${picked ? 'true' : 'false'} onClick=${() => onPick({ row, where })}>
      ${Math.round(row.delivered * 100)}${row.significant && row.gap > 0 ? '!' : ''}${row.reliable ? '' : '~'}
    </button>
  </td>`;
}

function Legend({ minSample }) {
  return html`<div class="legend" aria-label="Legend">
    <span><span class="swatch" style=${{ background: gapColour(-0.05) }}></span>at or above target</span>
    <span><span class="swatch" style=${{ background: gapColour(0.08) }}></span>up to 10 points short</span>
    <span><span class="swatch" style=${{ background: gapColour(0.2) }}></span>20 points short</span>
    <span><span class="swatch" style=${{ background: gapColour(0.3) }}></span>30 or more</span>
    <span><span class="swatch significant"></span>! significant shortfall (the interval lies below target)</span>
    <span><span class="swatch unreliable"></span>~ fewer than ${minSample} visits: not reliable</span>
    <span>Numbers: delivered, % of visits</span>
  </div>`;
}

function Detail({ picked, rowsBy, onClose }) {
  const { row, where } = picked;
  // The figures are announced and reachable at once: the focus moves to their heading.
  const title = useRef(null);
  useEffect(() => title.current?.focus(), [row]);
  const location = rowsBy === 'location' ? row.location_id : undefined;
  return html`<section class="card detail" aria-labelledby="cell-title"
    onKeyDown=${(e) => e.key === 'Escape' && onClose()}>
    <h2 id="cell-title" tabindex="-1" ref=${title}>${row.standard} at ${where}</h2>
    <p>${row.standard_text}</p>
    <dl class="facts">
      <dt>Delivered</dt><dd>${pct(row.delivered)} (95 % interval ${interval(row.ci_low, row.ci_high)})</dd>
      <dt>Target</dt><dd>${pct(row.target)}</dd>
      <dt>Gap</dt><dd>${pts(row.gap)} ${row.significant ? '(significant)' : '(not significant)'}</dd>
      <dt>Visits</dt><dd>${row.n} ${row.reliable ? '' : '(too few to rely on)'}</dd>
    </dl>
    <div class="actions-row">
      <a class="button" href=${href(['trends'], { standard: row.standard, location, region: rowsBy === 'region' ? row.region : undefined })}>Trend of ${row.standard}</a>
      ${location && html`<a class="button" href=${href(['locations', location])}>Scorecard of ${row.location_code}</a>`}
      ${row.open_action_id && html`<a class="button" href=${href(['actions'], { id: row.open_action_id })}>Open corrective action</a>`}
      <button type="button" class="secondary" onClick=${onClose}>Close</button>
    </div>
  </section>`;
}

export function Heatmap({ route, context }) {
  const params = route.params;
  const rowsBy = params.rows === 'region' ? 'region' : 'location';
  const filters = filterQuery(params);
  const state = useLoad(
    () => Promise.all([
      get('/v1/reports/gaps', { ...filters, group_by: ['standard', rowsBy] }),
      get('/v1/reports/gaps', { ...filters, group_by: ['standard'] }),
    ]),
    [JSON.stringify(filters), rowsBy],
  );
  const [picked, setPicked] = useState(null);
  const change = (name, value) => go(['heatmap'], { ...params, [name]: value });
  return html`
    <h1>Delivery gaps</h1>
    <${Filters} params=${params} onChange=${change} context=${context}
      shown=${['period', 'region', 'segment', 'channel', 'checklist']} />
    <div class="actions-row" role="group" aria-label="Rows">
      <button type="button" class=${rowsBy === 'location' ? '' : 'secondary'} aria-pressed=${rowsBy === 'location'}
        onClick=${() => change('rows', 'location')}>By location</button>
      <button type="button" class=${rowsBy === 'region' ? '' : 'secondary'} aria-pressed=${rowsBy === 'region'}
        onClick=${() => change('rows', 'region')}>By region</button>
      <label>Order<select name="sort" value=${params.sort || 'name'} onChange=${(e) => change('sort', e.target.value)}>
        <option value="name">By name</option><option value="gap">Largest shortfall first</option>
      </select></label>
      <${CsvLink} path="/v1/reports/gaps.csv" params=${{ ...filters, group_by: ['standard', rowsBy] }} name="gaps.csv" />
    </div>
    <${Loaded} state=${state}>${([cells, overall]) => {
      const standards = overall.rows.map((r) => r.standard);
      if (standards.length === 0) {
        return html`<p class="card" id="heatmap-empty">No approved visits match these filters.</p>`;
      }
      const key = (r) => (rowsBy === 'region' ? r.region : r.location_id);
      const byRow = new Map();
      for (const r of cells.rows) {
        if (!byRow.has(key(r))) byRow.set(key(r), new Map());
        byRow.get(key(r)).set(r.standard, r);
      }
      const names = new Map(context.locations.map((l) => [l.id, l]));
      const rowLabel = (k) => {
        if (rowsBy === 'region') return k;
        const l = names.get(k);
        return l ? `${l.code} · ${l.name}` : k;
      };
      // By name, or the largest mean shortfall over the standards first.
      const meanGap = (k) => {
        const gaps = [...byRow.get(k).values()].map((r) => r.gap).filter((g) => g !== null && g !== undefined);
        return gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : -Infinity;
      };
      const rows = [...byRow.keys()].sort((a, b) => (params.sort === 'gap'
        ? meanGap(b) - meanGap(a)
        : rowLabel(a).localeCompare(rowLabel(b))));
      const significant = cells.rows.filter((r) => r.significant && r.gap > 0).length;
      const unreliable = cells.rows.filter((r) => !r.reliable).length;
      return html`
        <p class="muted" id="heatmap-summary">${`${standards.length} standards × ${rows.length} ${rowsBy === 'region' ? 'regions' : 'locations'}: ${significant} significant shortfalls, ${unreliable} cells with too few visits. Largest shortfall first.`}</p>
        <${Legend} minSample=${cells.min_sample_size} />
        <div class="card scroll">
          <table class="heatmap" id="heatmap">
            <caption class="visually-hidden">Delivered per standard and ${rowsBy}, coloured by the gap to target</caption>
            <thead><tr>
              <th scope="col">${rowsBy === 'region' ? 'Region' : 'Location'}</th>
              ${overall.rows.map((s) => html`<th scope="col" title=${s.standard_text || ''}>
                <a href=${href(['trends'], { standard: s.standard })}>${s.standard}</a></th>`)}
            </tr></thead>
            <tbody>
              <tr>
                <th scope="row">All ${rowsBy === 'region' ? 'regions' : 'locations'}</th>
                ${overall.rows.map((s) => html`<${Cell} row=${s} where="all locations" onPick=${setPicked} picked=${picked?.row === s} />`)}
              </tr>
              ${rows.map((k) => html`<tr>
                <th scope="row">${rowsBy === 'location'
                  ? html`<a href=${href(['locations', k])} title=${rowLabel(k)}>${names.get(k)?.code || k}<span class="name"> · <span dir="auto">${names.get(k)?.name}</span></span></a>`
                  : rowLabel(k)}</th>
                ${standards.map((s) => html`<${Cell} row=${byRow.get(k).get(s)} where=${rowLabel(k)} onPick=${setPicked} picked=${picked?.row === byRow.get(k).get(s)} />`)}
              </tr>`)}
            </tbody>
          </table>
        </div>
        ${picked && html`<${Detail} picked=${picked} rowsBy=${rowsBy} onClose=${() => setPicked(null)} />`}`;
    }}<//>`;
}
