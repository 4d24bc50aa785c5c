// Service recovery: corrective actions with their baseline and measured effect, the effect by
// kind of action, and the gaps that still have no action.
import { html } from '../vendor/preact-htm.module.js';
import { get } from './api.js';
import { Badge, Chart, Loaded, go, href, interval, label, pct, pts, useLoad } from './ui.js';

function Effect({ effect }) {
  if (!effect) return html`<span class="muted">not done yet</span>`;
  if (effect.difference === null || effect.difference === undefined) return html`<span class="muted">no visits since</span>`;
  return html`${pts(effect.difference)} <span class="muted">(${interval(effect.ci_low, effect.ci_high, pts)})</span>
    ${effect.improved && html` <${Badge} kind="good">improved<//>`}`;
}

function ActionDetail({ id }) {
  const state = useLoad(
    () => Promise.all([get(`/v1/corrective-actions/${id}`), get(`/v1/corrective-actions/${id}/history`)]),
    [id],
  );
  return html`<${Loaded} state=${state}>${([a, history]) => html`<section class="card" aria-labelledby="action-title">
    <h2 id="action-title">${label(a.kind)} on ${a.standard} at ${a.location_code}</h2>
    <p dir="auto">${a.plan}</p>
    <dl class="facts">
      <dt>Status</dt><dd>${label(a.status)} ${a.overdue && html`<${Badge} kind="bad">overdue<//>`}</dd>
      <dt>Due</dt><dd>${a.due_date}</dd>
      <dt>Baseline</dt><dd>${pct(a.baseline.delivered)} over ${a.baseline.n} visits (${a.baseline.from} – ${a.baseline.to}), target ${pct(a.baseline.target)}</dd>
      <dt>Effect</dt><dd><${Effect} effect=${a.effect} /></dd>
      <dt>Re-shops</dt><dd>${a.reshops.map((r) => `${label(r.state)}${r.compliance != null ? ` (${pct(r.compliance)})` : ''}`).join(', ') || '–'}</dd>
    </dl>
    <h3>History</h3>
    <ul>${history.map((h) => html`<li>${new Date(h.at).toLocaleString()}: ${label(h.change)}${h.note ? ` (${h.note})` : ''}</li>`)}</ul>
    <button type="button" class="secondary" onClick=${() => go(['actions'])}>Close</button>
  </section>`}<//>`;
}

export function Actions({ route }) {
  const state = useLoad(
    () => Promise.all([
      get('/v1/corrective-actions', { limit: 200 }),
      get('/v1/corrective-actions/effects'),
      get('/v1/corrective-actions/suggestions'),
    ]),
    [],
  );
  return html`<h1>Corrective actions</h1>
    ${route.params.id && html`<${ActionDetail} id=${route.params.id} />`}
    <${Loaded} state=${state}>${([list, effects, suggestions]) => html`
      <section class="card scroll" aria-labelledby="list-title">
        <h2 id="list-title">Actions</h2>
        <table id="actions">
          <thead><tr><th scope="col">Location</th><th scope="col">Standard</th><th scope="col">Kind</th><th scope="col">Status</th>
            <th scope="col">Due</th><th scope="col" class="num">Baseline</th><th scope="col">Effect (95 % interval)</th></tr></thead>
          <tbody>${list.items.map((a) => html`<tr>
            <td><a href=${href(['locations', a.location_id])}>${a.location_code}</a></td>
            <td><a href=${href(['actions'], { id: a.id })}>${a.standard}</a></td>
            <td>${label(a.kind)}</td>
            <td>${label(a.status)} ${a.overdue && html`<${Badge} kind="bad">overdue<//>`}</td>
            <td>${a.due_date}</td><td class="num">${pct(a.baseline.delivered)}</td>
            <td><${Effect} effect=${a.effect} /></td>
          </tr>`)}</tbody>
        </table>
      </section>
      <section class="card" aria-labelledby="kinds-title">
        <h2 id="kinds-title">What works: effect by kind</h2>
        <${Chart} summary=${effects.by_kind.map((k) => `${label(k.kind)}: ${k.measured} measured, ${k.improved} improved, mean change ${pts(k.mean_difference)}`).join('; ') || 'No action has been marked done yet.'}
          config=${{
            type: 'bar',
            data: {
              labels: effects.by_kind.map((k) => label(k.kind)),
              datasets: [{ label: 'Mean change in delivered (points)', data: effects.by_kind.map((k) => (k.mean_difference == null ? null : k.mean_difference * 100)), backgroundColor: '#1d4e89' }],
            },
          }}
          table=${{ head: ['Kind', 'Done', 'Measured', 'Improved', 'Mean change'], rows: effects.by_kind.map((k) => [label(k.kind), k.actions, k.measured, k.improved, pts(k.mean_difference)]) }} />
      </section>
      <section class="card scroll" aria-labelledby="suggest-title">
        <h2 id="suggest-title">Significant gaps without an action</h2>
        ${suggestions.items.length === 0 ? html`<p class="muted">None.</p>` : html`<table>
          <thead><tr><th scope="col">Location</th><th scope="col">Standard</th><th scope="col" class="num">Delivered</th><th scope="col" class="num">Target</th><th scope="col" class="num">Gap</th><th scope="col" class="num">Visits</th></tr></thead>
          <tbody>${suggestions.items.map((s) => html`<tr>
            <td><a href=${href(['locations', s.location_id])}>${s.location_code}</a></td>
            <td><span title=${s.standard_text || ''}>${s.standard}</span></td>
            <td class="num">${pct(s.delivered)}</td><td class="num">${pct(s.target)}</td><td class="num">${pts(s.gap)}</td><td class="num">${s.n}</td>
          </tr>`)}</tbody></table>`}
      </section>`}<//>`;
}
