// How far the shoppers themselves can be trusted: each shopper's leniency per standard against
// the other shoppers at the same locations and months (significantly lenient or harsh first),
// and the agreement of two shoppers over the double shops they did together.
import { html } from '../vendor/preact-htm.module.js';
import { get } from './api.js';
import { Badge, Loaded, interval, num, pts, useLoad } from './ui.js';

const VERDICT = { lenient: ['warn', 'lenient'], harsh: ['bad', 'harsh'] };

export function Shoppers() {
  const state = useLoad(
    () => Promise.all([get('/v1/reports/shoppers/calibration'), get('/v1/reports/shoppers/agreement')]),
    [],
  );
  return html`<h1>Shopper calibration</h1>
    <${Loaded} state=${state}>${([calibration, agreement]) => html`
      <section class="card scroll" aria-labelledby="calibration-title">
        <h2 id="calibration-title">Leniency, ${calibration.from} to ${calibration.to}</h2>
        <p class="muted">A shopper's compliance on a standard minus the other shoppers' mean at the same
          location and month, averaged over their visits, with its 95 % interval. Positive: rates more
          leniently than the others.</p>
        ${calibration.rows.length === 0 ? html`<p class="muted">No visits that other shoppers' visits can be compared with yet.</p>`
        : html`<table id="calibration">
          <thead><tr><th scope="col">Shopper</th><th scope="col">Standard</th><th scope="col">Leniency</th>
            <th scope="col">95 % interval</th><th scope="col">Visits</th><th scope="col"></th></tr></thead>
          <tbody>${calibration.rows.map((r) => html`<tr>
            <th scope="row" dir="auto">${r.shopper_name}</th><td>${r.standard_code}</td>
            <td class="num">${pts(r.leniency)}</td><td class="num">${interval(r.ci_low, r.ci_high, pts)}</td>
            <td class="num">${r.n}</td>
            <td>${VERDICT[r.verdict] && html`<${Badge} kind=${VERDICT[r.verdict][0]}>${VERDICT[r.verdict][1]}<//>`}</td>
          </tr>`)}</tbody>
        </table>`}
      </section>
      <section class="card scroll" aria-labelledby="agreement-title">
        <h2 id="agreement-title">Double shops: rater agreement</h2>
        ${agreement.pairs.length === 0 ? html`<p class="muted">No double shop with both halves approved yet.</p>`
        : html`<table id="agreement">
          <thead><tr><th scope="col">Shoppers</th><th scope="col">Double shops</th><th scope="col">Items</th>
            <th scope="col">Agreement</th><th scope="col">Cohen's kappa</th></tr></thead>
          <tbody>${agreement.pairs.map((p) => html`<tr>
            <th scope="row" dir="auto">${p.shopper_a_name} · ${p.shopper_b_name}</th>
            <td class="num">${p.double_shops}</td><td class="num">${p.items}</td>
            <td class="num">${p.percent_agreement == null ? '–' : `${num(p.percent_agreement)} %`}</td>
            <td class="num">${p.kappa == null ? '–' : num(p.kappa, 2)}</td>
          </tr>`)}</tbody>
        </table>`}
      </section>`}<//>`;
}
