// What managers believe beside what was delivered ("we think we are better than we are"), and
// the five-gap ladder per standard: expectations, standards, delivery, promises, perception.
import { html } from '../vendor/preact-htm.module.js';
import { get } from './api.js';
import { Badge, Chart, Loaded, href, interval, pct, pts, useLoad } from './ui.js';

function GapCell({ gap }) {
  if (gap.value === null || gap.value === undefined) {
    return html`<td class="muted" title=${`missing: ${gap.missing.join(', ')}`}>–</td>`;
  }
  return html`<td class="num">${pts(gap.value)}
    ${gap.significant && html` <${Badge} kind=${gap.value > 0 ? 'bad' : 'good'}>sig.<//>`}
    ${!gap.reliable && html` <${Badge} kind="warn">few<//>`}
    <div class="muted">${interval(gap.ci_low, gap.ci_high, pts)}</div></td>`;
}

export function Beliefs() {
  const state = useLoad(
    () => Promise.all([get('/v1/reports/self-assessment'), get('/v1/reports/five-gaps')]),
    [],
  );
  return html`<h1>Beliefs and the five gaps</h1>
    <${Loaded} state=${state}>${([beliefs, ladder]) => {
      const whole = beliefs.rows.filter((r) => !r.location_id);
      const summary = whole.length
        ? `Believed beside delivered for ${whole.length} standards, organization-wide${beliefs.mean_self_gap != null ? `; on average managers believe ${pts(beliefs.mean_self_gap)} more than was delivered` : ''}.`
        : 'No self-assessment recorded yet.';
      return html`
        <section class="card" aria-labelledby="beliefs-title">
          <h2 id="beliefs-title">Self-assessment beside delivered</h2>
          ${whole.length > 0 && html`<${Chart} summary=${summary}
            config=${{
              type: 'bar',
              data: {
                labels: whole.map((r) => r.standard),
                datasets: [
                  { label: 'Believed', data: whole.map((r) => r.believed * 100), backgroundColor: '#f2b134' },
                  { label: 'Delivered', data: whole.map((r) => (r.delivered == null ? null : r.delivered * 100)), backgroundColor: '#1d4e89' },
                  { label: 'Target', data: whole.map((r) => (r.target == null ? null : r.target * 100)), type: 'line', showLine: false, pointStyle: 'line', pointRadius: 12, borderWidth: 3, borderColor: '#8c1111' },
                ],
              },
              options: { scales: { y: { min: 0, max: 100, title: { display: true, text: '% of visits' } } } },
            }}
            table=${{
              head: ['Standard', 'Period', 'Believed', 'Delivered', 'Believed − delivered', 'Visits'],
              rows: whole.map((r) => [r.standard, `${r.period_from} – ${r.period_to}`, pct(r.believed), pct(r.delivered), pts(r.self_gap), r.n]),
            }} />`}
          ${whole.length === 0 && html`<p class="muted">${summary}</p>`}
        </section>
        <section class="card scroll" aria-labelledby="ladder-title">
          <h2 id="ladder-title">The five gaps, per standard</h2>
          <p class="muted">Positive is a shortfall. 1: customers expect more than managers think. 2: standards set below
            what managers think customers expect. 3: delivery below the standard. 4: delivery below what was promised.
            5: customers perceive less than they expect.</p>
          <table id="ladder">
            <thead><tr><th scope="col">Standard</th><th scope="col">1 knowledge</th><th scope="col">2 standards</th>
              <th scope="col">3 delivery</th><th scope="col">4 communication</th><th scope="col">5 customer</th></tr></thead>
            <tbody>${ladder.rows.map((r) => html`<tr>
              <th scope="row"><a href=${href(['trends'], { standard: r.standard })}>${r.standard || r.dimension}</a></th>
              <${GapCell} gap=${r.gap1_knowledge} /><${GapCell} gap=${r.gap2_standards} /><${GapCell} gap=${r.gap3_delivery} />
              <${GapCell} gap=${r.gap4_communication} /><${GapCell} gap=${r.gap5_customer} />
            </tr>`)}</tbody>
          </table>
        </section>`;
    }}<//>`;
}
