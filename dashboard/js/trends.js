// Trends: delivered per month or week for the visit score, a standard or a dimension, with the
// 95 % interval drawn as a band and the target as a dashed line.
import { html } from '../vendor/preact-htm.module.js';
import { get } from './api.js';
import {
  Chart, DIMENSIONS, Filters, Loaded, filterQuery, go, interval, label, num, pct, useLoad,
} from './ui.js';

export function Trends({ route, context }) {
  const params = route.params;
  const subject = params.standard ? 'standard' : params.dimension ? 'dimension' : 'visit';
  const query = {
    ...filterQuery({ ...params, period: params.period || '365' }),
    segment: undefined,
    standard: params.standard,
    dimension: params.dimension,
    location_id: params.location,
    grain: params.grain || 'month',
  };
  const standards = useLoad(() => get('/v1/reports/gaps', { group_by: ['standard'] }), []);
  const state = useLoad(() => get('/v1/reports/trend', query), [JSON.stringify(query)]);
  const change = (name, value) => go(['trends'], { ...params, [name]: value });
  const pickSubject = (value) => {
    const [kind, key] = value.split(':');
    go(['trends'], { ...params, standard: kind === 'standard' ? key : undefined, dimension: kind === 'dimension' ? key : undefined });
  };
  const codes = standards.data ? standards.data.rows.map((r) => [r.standard, r.standard_text]) : [];
  const scale = subject === 'visit' ? (v) => num(v) : (v) => pct(v);
  return html`
    <h1>Trends</h1>
    <form class="filters card" aria-label="What to show" onSubmit=${(e) => e.preventDefault()}>
      <label>Measure
        <select name="subject" value=${subject === 'visit' ? 'visit' : `${subject}:${params[subject]}`}
          onChange=${(e) => pickSubject(e.target.value)}>
          <option value="visit">Visit score</option>
          <optgroup label="Standards">
            ${codes.map(([c, t]) => html`<option value=${`standard:${c}`}>${c} · ${t || ''}</option>`)}
          </optgroup>
          <optgroup label="Dimensions">
            ${DIMENSIONS.map((d) => html`<option value=${`dimension:${d}`}>${label(d)}</option>`)}
          </optgroup>
        </select>
      </label>
      <label>Periods
        <select name="grain" value=${params.grain || 'month'} onChange=${(e) => change('grain', e.target.value)}>
          <option value="month">Months</option><option value="week">Weeks</option>
        </select>
      </label>
    </form>
    <${Filters} params=${{ ...params, period: params.period || '365' }} onChange=${change} context=${context}
      shown=${['period', 'region', 'channel', 'checklist', 'location']} />
    <${Loaded} state=${state}>${(trend) => {
      const points = trend.points;
      const what = subject === 'visit' ? 'Visit score (0–100)' : `${trend.key}: delivered`;
      const toChart = subject === 'visit' ? (v) => v : (v) => (v === null || v === undefined ? null : v * 100);
      const datasets = [
        { label: 'Upper 95 % bound', data: points.map((p) => toChart(p.ci_high)), borderWidth: 0, pointRadius: 0, fill: '+1', backgroundColor: 'rgba(29, 78, 137, .15)', spanGaps: true },
        { label: 'Lower 95 % bound', data: points.map((p) => toChart(p.ci_low)), borderWidth: 0, pointRadius: 0, fill: false, spanGaps: true },
        { label: what, data: points.map((p) => toChart(p.delivered)), borderColor: '#1d4e89', backgroundColor: '#1d4e89', borderWidth: 2, pointRadius: 3, spanGaps: true },
      ];
      if (trend.target !== null && trend.target !== undefined) {
        datasets.push({ label: 'Target', data: points.map(() => trend.target * 100), borderColor: '#8c1111', borderDash: [6, 4], borderWidth: 2, pointRadius: 0 });
      }
      const withData = points.filter((p) => p.delivered !== null && p.delivered !== undefined);
      const first = withData[0];
      const last = withData[withData.length - 1];
      const summary = withData.length
        ? `${what} by ${trend.grain}, ${trend.from} to ${trend.to}: from ${scale(first.delivered)} in ${first.period} to ${scale(last.delivered)} in ${last.period}${trend.target != null ? `, target ${pct(trend.target)}` : ''}.`
        : `${what}: no approved visits in this period.`;
      return html`<section class="card" aria-label="Trend chart">
        <${Chart} summary=${summary}
          config=${{
            type: 'line',
            data: { labels: points.map((p) => p.period), datasets },
            options: {
              scales: { y: { min: 0, max: 100, title: { display: true, text: subject === 'visit' ? 'score' : '% of visits' } } },
              plugins: { legend: { labels: { filter: (item) => !item.text.includes('bound') } } },
            },
          }}
          table=${{
            head: ['Period', 'Visits', 'Delivered', '95 % interval', 'Gap', 'Change'],
            rows: points.map((p) => [p.period, p.n, scale(p.delivered), interval(p.ci_low, p.ci_high, scale), subject === 'visit' ? '–' : pct(p.gap), p.change === null || p.change === undefined ? '–' : scale(p.change)]),
          }} />
      </section>`;
    }}<//>`;
}
