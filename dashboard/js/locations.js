// Locations: the ranking with each location's interval, and one location's scorecard (visit
// score beside its region and the organization, the score distribution, standards by gap,
// corrective actions and what its managers believe).
import { html } from '../vendor/preact-htm.module.js';
import { get } from './api.js';
import {
  Badge, Chart, CsvLink, Filters, Loaded, filterQuery, gapColour, go, href, interval, num, pct, pts,
  useLoad,
} from './ui.js';

export function Locations({ route, context }) {
  const params = route.params;
  const query = { ...filterQuery(params), standard: params.standard };
  const standards = useLoad(() => get('/v1/reports/gaps', { group_by: ['standard'] }), []);
  const state = useLoad(() => get('/v1/reports/ranking', query), [JSON.stringify(query)]);
  const change = (name, value) => go(['locations'], { ...params, [name]: value });
  const codes = standards.data ? standards.data.rows.map((r) => r.standard) : [];
  return html`
    <h1>Locations ranked</h1>
    <form class="filters card" aria-label="Rank by" onSubmit=${(e) => e.preventDefault()}>
      <label>Rank by
        <select name="standard" value=${params.standard || ''} onChange=${(e) => change('standard', e.target.value)}>
          <option value="">Visit score</option>
          ${codes.map((c) => html`<option value=${c}>${c}</option>`)}
        </select>
      </label>
      <${CsvLink} path="/v1/reports/ranking.csv" params=${query} name="ranking.csv" />
    </form>
    <${Filters} params=${params} onChange=${change} context=${context} shown=${['period', 'region', 'segment', 'channel', 'checklist']} />
    <${Loaded} state=${state}>${(ranking) => {
      const score = !params.standard;
      const f = score ? (v) => num(v) : pct;
      const scaled = (v) => (score ? v : v * 100);
      const rows = ranking.rows;
      const summary = rows.length
        ? `${rows.length} locations by ${score ? 'visit score' : params.standard}: best ${rows[0].location_code} at ${f(rows[0].value)}, last ${rows[rows.length - 1].location_code} at ${f(rows[rows.length - 1].value)}. Bars are 95 % intervals; where they overlap, the difference may be chance.`
        : 'No approved visits match these filters.';
      return html`
        <section class="card">
          <${Chart} tall=${rows.length > 12} summary=${summary}
            config=${{
              type: 'bar',
              data: {
                labels: rows.map((r) => r.location_code),
                datasets: [
                  { type: 'line', label: score ? 'Visit score' : 'Delivered', data: rows.map((r) => scaled(r.value)), showLine: false, pointRadius: 4, borderColor: '#16202b', backgroundColor: '#16202b' },
                  { label: '95 % interval', data: rows.map((r) => [scaled(r.ci_low), scaled(r.ci_high)]), backgroundColor: rows.map((r) => (r.reliable ? 'rgba(29, 78, 137, .45)' : 'rgba(120, 120, 120, .3)')), barPercentage: 0.6 },
                ],
              },
              options: { indexAxis: 'y', scales: { x: { min: 0, max: 100 } } },
            }} />
        </section>
        <section class="card scroll">
          <table id="ranking">
            <caption class="visually-hidden">Locations ranked</caption>
            <thead><tr><th scope="col" class="num">Rank</th><th scope="col">Location</th><th scope="col">Region</th>
              <th scope="col" class="num">Visits</th><th scope="col" class="num">${score ? 'Visit score' : 'Delivered'}</th>
              <th scope="col">95 % interval</th>${!score && html`<th scope="col" class="num">Gap</th>`}</tr></thead>
            <tbody>${rows.map((r) => html`<tr class="clickable" onClick=${() => go(['locations', r.location_id])}>
              <td class="num">${r.rank}</td>
              <td><a href=${href(['locations', r.location_id])}>${r.location_code}</a>${!r.reliable && html` <${Badge} kind="warn">few visits<//>`}</td>
              <td>${r.region}</td><td class="num">${r.n}</td><td class="num">${f(r.value)}</td>
              <td>${interval(r.ci_low, r.ci_high, f)}</td>${!score && html`<td class="num">${pts(r.gap)}</td>`}
            </tr>`)}</tbody>
          </table>
        </section>`;
    }}<//>`;
}

function Estimate({ title, e }) {
  return html`<div class="card">
    <div class="muted">${title}</div>
    <div class="figure">${num(e.mean)}</div>
    <div class="muted">${e.n} visits${e.mean !== null && e.mean !== undefined ? `, 95 % interval ${num(e.ci_low)} – ${num(e.ci_high)}` : ''}</div>
  </div>`;
}

export function Scorecard({ route, context }) {
  const id = route.parts[1];
  const params = route.params;
  const query = { location_id: id, from: filterQuery(params).from, channel: params.channel, checklist_id: params.checklist };
  const state = useLoad(
    () => Promise.all([
      get('/v1/reports/scorecard', query),
      get('/v1/reports/self-assessment', { location_id: id }),
    ]),
    [JSON.stringify(query)],
  );
  const change = (name, value) => go(['locations', id], { ...params, [name]: value });
  return html`<${Loaded} state=${state}>${([card, beliefs]) => {
    const l = card.location;
    const bins = card.distribution.map((_, i) => (i === 9 ? '90–100' : `${i * 10}–${i * 10 + 9}`));
    return html`
      <p><a href=${href(['locations'])}>← All locations</a></p>
      <h1>${l.code} · <span dir="auto">${l.name}</span></h1>
      <p class="muted">${l.region} · ${l.segment.toUpperCase()}</p>
      <${Filters} params=${params} onChange=${change} context=${context} shown=${['period', 'channel', 'checklist']} />
      <div class="grid">
        <${Estimate} title="Visit score here" e=${card.visit_score} />
        <${Estimate} title=${`Region ${l.region}`} e=${card.region_visit_score} />
        <${Estimate} title="Organization" e=${card.organization_visit_score} />
        <div class="card"><div class="muted">Critical failures</div><div class="figure">${card.critical_failures}</div>
          <div class="muted">${card.overdue_actions} overdue corrective actions</div></div>
      </div>
      <section class="card">
        <h2>Distribution of visit scores</h2>
        <${Chart} summary=${`Visits per score band: ${card.distribution.map((n, i) => `${bins[i]}: ${n}`).join(', ')}.`}
          config=${{ type: 'bar', data: { labels: bins, datasets: [{ label: 'Visits', data: card.distribution, backgroundColor: '#1d4e89' }] }, options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } }}
          table=${{ head: ['Score', 'Visits'], rows: card.distribution.map((n, i) => [bins[i], n]) }} />
      </section>
      <section class="card scroll">
        <h2>Standards, largest gap first</h2>
        <table id="scorecard-standards">
          <thead><tr><th scope="col">Standard</th><th scope="col" class="num">Visits</th><th scope="col" class="num">Delivered</th>
            <th scope="col">95 % interval</th><th scope="col" class="num">Target</th><th scope="col" class="num">Gap</th><th scope="col">Notes</th></tr></thead>
          <tbody>${card.standards.map((s) => html`<tr>
            <td><a href=${href(['trends'], { standard: s.standard, location: id })}>${s.standard}</a> <span class="muted">${s.standard_text}</span></td>
            <td class="num">${s.n}</td><td class="num">${pct(s.delivered)}</td><td>${interval(s.ci_low, s.ci_high)}</td>
            <td class="num">${pct(s.target)}</td><td class="num" style=${{ background: gapColour(s.gap) }}>${pts(s.gap)}</td>
            <td>${s.significant && s.gap > 0 && html`<${Badge} kind="bad">significant<//>`}${!s.reliable && html`<${Badge} kind="warn">few visits<//>`}
              ${s.open_action_id && html`<a href=${href(['actions'], { id: s.open_action_id })}>action</a>`}</td>
          </tr>`)}</tbody>
        </table>
      </section>
      <section class="card scroll">
        <h2>Corrective actions here</h2>
        ${card.corrective_actions.length === 0 ? html`<p class="muted">None open.</p>` : html`<table>
          <thead><tr><th scope="col">Standard</th><th scope="col">Status</th><th scope="col">Due</th></tr></thead>
          <tbody>${card.corrective_actions.map((a) => html`<tr>
            <td><a href=${href(['actions'], { id: a.id })}>${a.standard}</a></td><td>${a.status}</td>
            <td>${a.due_date} ${a.overdue && html`<${Badge} kind="bad">overdue<//>`}</td></tr>`)}</tbody></table>`}
      </section>
      <section class="card scroll">
        <h2>What the managers here believe</h2>
        ${beliefs.rows.length === 0 ? html`<p class="muted">No self-assessment recorded for this location.</p>` : html`<table>
          <thead><tr><th scope="col">Standard</th><th scope="col">Period</th><th scope="col" class="num">Believed</th><th scope="col" class="num">Delivered</th><th scope="col" class="num">Believed − delivered</th></tr></thead>
          <tbody>${beliefs.rows.map((b) => html`<tr><td>${b.standard}</td><td>${b.period_from} – ${b.period_to}</td>
            <td class="num">${pct(b.believed)}</td><td class="num">${pct(b.delivered)}</td><td class="num">${pts(b.self_gap)}</td></tr>`)}</tbody></table>`}
      </section>`;
  }}<//>`;
}
