// The review queue and one submission: its answers (with reviewers' edits), photos, flags and
// scores; approve, return with item comments, reject, or edit an answer with a reason. Every
// decision sends the ETag it was made on (If-Match): when someone else changed the submission
// meanwhile, the answer is 409 or 412 and the page reloads what is there now.
import { html, useEffect, useState } from '../vendor/preact-htm.module.js';
import { call, get } from './api.js';
import { Badge, Loaded, Problem, go, href, label, num, pct, useLoad, when } from './ui.js';

const FLAG_TEXT = {
  outside_geofence: (f) => `Checked in ${Math.round(f.distance_m)} m from the location (geofence ${f.radius_m} m)`,
  short_visit: (f) => `The visit lasted ${f.minutes} minutes (minimum ${f.minimum_minutes})`,
  clock_skew: (f) => `The phone's clock was off by ${f.seconds} s`,
  identical_to_previous: () => 'Every answer equals the same shopper\'s previous shop',
  expenses_over_cap: (f) => `Expenses claimed ${money(f.claimed_minor, f.currency)}, over the shop's cap of ${money(f.cap_minor, f.currency)}`,
  expense_without_receipt: (f) => `The expense “${f.expense_key}” has no receipt`,
  reused_photo: (f) => html`A photo is the same picture (${f.distance} of 64 bits apart) as one in
    <a href=${href(['review', f.other_submission_id])} class="reused">another submission</a>`,
  photo_time: (f) => `A photo was taken ${when(f.captured_at)}, outside the visit (${when(f.visit_start)} to ${when(f.visit_end)}, ±${f.tolerance_minutes} min)`,
};

/** Every flag kind, for the queue's filter (the API filters by one). */
const FLAG_KINDS = ['outside_geofence', 'clock_skew', 'short_visit', 'identical_to_previous',
  'expenses_over_cap', 'expense_without_receipt', 'reused_photo', 'photo_time'];

/** Minor units as text in the currency's usual two decimals (display only; the API sends exact
 * decimal text beside every amount). */
const money = (minor, currency) => `${(minor / 100).toFixed(2)} ${currency}`;
export const flagText = (f) => (FLAG_TEXT[f.kind] || (() => label(f.kind)))(f);

export function ReviewQueue({ route }) {
  const flaggedOnly = route.params.flagged === '1';
  const status = route.params.status || 'submitted';
  const flag = FLAG_KINDS.includes(route.params.flag) ? route.params.flag : undefined;
  const state = useLoad(
    () => Promise.all([
      get('/v1/submissions', { status, limit: 200, flag }),
      get('/v1/assignments', { status, limit: 200 }),
    ]),
    [status, flag],
  );
  return html`
    <h1>Review queue</h1>
    <form class="filters card" aria-label="Queue filters" onSubmit=${(e) => e.preventDefault()}>
      <label>Status
        <select name="status" value=${status} onChange=${(e) => go(['review'], { ...route.params, status: e.target.value })}>
          <option value="submitted">Waiting for review</option>
          <option value="returned">Returned to the shopper</option>
          <option value="approved">Approved</option>
          <option value="rejected">Rejected</option>
        </select>
      </label>
      <label><input type="checkbox" name="flagged" checked=${flaggedOnly}
        onChange=${(e) => go(['review'], { ...route.params, flagged: e.target.checked ? '1' : undefined })} /> Flagged only</label>
      <label>Flag
        <select name="flag" value=${flag || ''} onChange=${(e) => go(['review'], { ...route.params, flag: e.target.value || undefined })}>
          <option value="">Any</option>
          ${FLAG_KINDS.map((k) => html`<option value=${k}>${label(k)}</option>`)}
        </select>
      </label>
    </form>
    <${Loaded} state=${state}>${([page, assignments]) => {
      const where = new Map(assignments.items.map((a) => [a.id, a]));
      const items = page.items.filter((s) => !flaggedOnly || s.flags.length > 0);
      if (items.length === 0) return html`<p class="card" id="queue-empty">Nothing here.</p>`;
      return html`<section class="card scroll">
        <table id="queue">
          <caption class="visually-hidden">Submissions</caption>
          <thead><tr><th scope="col">Submitted</th><th scope="col">Location</th><th scope="col">Flags</th><th scope="col">Status</th></tr></thead>
          <tbody>${items.map((s) => {
            const a = where.get(s.content.assignment_id);
            return html`<tr>
              <td><a href=${href(['review', s.id])}>${when(s.submitted_at || s.received_at)}</a></td>
              <td>${a ? html`${a.location_code} · <span dir="auto">${a.location_name}</span>` : '–'}</td>
              <td>${s.flags.map((f) => html`<${Badge} kind="warn">${label(f.kind)}<//>`)}${s.review?.decision === 'returned' && html`<${Badge}>returned before<//>`}</td>
              <td>${s.status}</td>
            </tr>`;
          })}</tbody>
        </table>
        ${page.next_cursor && html`<p class="muted">Showing the first ${page.items.length}.</p>`}
      </section>`;
    }}<//>`;
}

/** An answer as text, by the item's type. */
function answerText(item, answer) {
  if (!answer) return '–';
  if (answer.na) return 'N/A';
  const v = answer.value;
  if (v === null || v === undefined) return item.type === 'evidence' ? 'see the files' : '–';
  switch (item.type) {
    case 'yes_no': return v ? 'Yes' : 'No';
    case 'choice': return item.options?.choices?.find((c) => c.value === v)?.label || String(v);
    case 'datetime': return when(v);
    default: return String(v);
  }
}

/** A photo or file of the submission, read with the bearer token and shown as a blob. */
function Evidence({ file }) {
  const [url, setUrl] = useState(null);
  const image = file.content_type.startsWith('image/') && file.content_type !== 'image/heic';
  useEffect(() => {
    if (!image) return undefined;
    let made;
    call('GET', `/v1/attachments/${file.id}`, { as: 'blob' })
      .then(({ body }) => setUrl((made = URL.createObjectURL(body))))
      .catch(() => setUrl(null));
    return () => made && URL.revokeObjectURL(made);
  }, [file.id]);
  const what = `${label(file.kind)}${file.item_key ? ` for item ${file.item_key}` : ''}, ${Math.round(file.size_bytes / 1024)} KB`;
  return html`<figure>
    ${image && url ? html`<img src=${url} alt=${what} />` : html`<div class="muted">${file.content_type}</div>`}
    <figcaption class="muted">${what}</figcaption>
  </figure>`;
}

/** The form of a reviewer's edit: a value fitting the item's type, or N/A, and the reason. */
function EditForm({ item, current, onSave, onCancel }) {
  const [na, setNa] = useState(Boolean(current?.na));
  const [value, setValue] = useState(current?.value ?? '');
  const [reason, setReason] = useState('');
  const id = `edit-${item.key}`;
  let input;
  if (item.type === 'yes_no') {
    input = html`<select id=${id} value=${String(value)} onChange=${(e) => setValue(e.target.value === 'true')}>
      <option value="true">Yes</option><option value="false">No</option></select>`;
  } else if (item.type === 'choice') {
    input = html`<select id=${id} value=${value} onChange=${(e) => setValue(e.target.value)}>
      ${(item.options?.choices || []).map((c) => html`<option value=${c.value}>${c.label}</option>`)}</select>`;
  } else if (item.type === 'scale' || item.type === 'number') {
    input = html`<input id=${id} type="number" step="any" value=${value} onInput=${(e) => setValue(e.target.valueAsNumber)} />`;
  } else {
    input = html`<input id=${id} value=${value} onInput=${(e) => setValue(e.target.value)} />`;
  }
  const submit = (e) => {
    e.preventDefault();
    onSave({ item_key: item.key, answer: na ? { na: true } : { value }, reason });
  };
  return html`<form class="card" onSubmit=${submit} aria-label=${`Edit the answer to ${item.key}`}>
    <label for=${id}>New answer</label>${input}
    ${item.allow_na && html`<label><input type="checkbox" checked=${na} onChange=${(e) => setNa(e.target.checked)} /> N/A</label>`}
    <label>Reason (required)<textarea name="reason" required value=${reason} onInput=${(e) => setReason(e.target.value)}></textarea></label>
    <div class="actions-row"><button type="submit">Save the edit</button>
      <button type="button" class="secondary" onClick=${onCancel}>Cancel</button></div>
  </form>`;
}

export function Review({ route }) {
  const id = route.parts[1];
  const [notice, setNotice] = useState(null);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState(null);
  const [comments, setComments] = useState({});
  const [comment, setComment] = useState('');
  const [grade, setGrade] = useState('');
  const [refusals, setRefusals] = useState({});
  const state = useLoad(async () => {
    const { body: submission, etag } = await call('GET', `/v1/submissions/${id}`);
    const assignment = await get(`/v1/assignments/${submission.content.assignment_id}`);
    const checklist = await get(`/v1/checklist-versions/${assignment.checklist_version_id}`);
    return { submission, etag, assignment, checklist };
  }, [id]);

  /** One decision or edit (`path`: its operation), based on the ETag the page shows. */
  async function act(path, body, done) {
    setBusy(true);
    setFailure(null);
    setNotice(null);
    try {
      await call('POST', path, { body, ifMatch: state.data.etag });
      setNotice(done);
      setEditing(null);
      setComments({});
      setComment('');
      setGrade('');
      setRefusals({});
    } catch (err) {
      setFailure(err);
    } finally {
      setBusy(false);
      state.reload();
    }
  }

  return html`<p><a href=${href(['review'])}>← Review queue</a></p>
    <${Loaded} state=${state}>${({ submission: s, assignment: a, checklist }) => {
      const answers = s.effective_answers || s.content.answers || {};
      const open = s.status === 'submitted';
      const editable = s.status === 'submitted' || s.status === 'approved';
      const score = s.scores;
      const approving = (path) => path.endsWith('/approve');
      const decide = (path, done) => act(path, {
        comment: comment || null,
        item_comments: path.endsWith('/return') ? Object.fromEntries(Object.entries(comments).filter(([, v]) => v.trim())) : {},
        ...(grade ? { grade: Number(grade) } : {}),
        ...(approving(path) ? { reimbursements: Object.fromEntries(Object.entries(refusals)
          .map(([key, note]) => [key, { decision: 'refused', note }])) } : {}),
      }, done);
      return html`
        <h1>Visit at ${a.location_code} · <span dir="auto">${a.location_name}</span></h1>
        <p>Status: <strong id="submission-status">${s.status}</strong> · submitted ${when(s.submitted_at)} · ${checklist.name} v${checklist.version}</p>
        ${notice && html`<div class="notice" role="status">${notice}</div>`}
        <${Problem} error=${failure} />
        <div class="grid">
          <section class="card" aria-labelledby="flags-title">
            <h2 id="flags-title">Flags</h2>
            ${s.flags.length === 0 ? html`<p class="muted">None.</p>` : html`<ul id="flags">${s.flags.map((f) => html`<li>${flagText(f)}</li>`)}</ul>`}
            <p class="muted">Flags are for the reviewer to weigh; they never refuse the work.</p>
          </section>
          <section class="card" aria-labelledby="scores-title">
            <h2 id="scores-title">Scores</h2>
            ${score ? html`<dl class="facts">
              <dt>Visit score</dt><dd id="visit-score">${num(score.visit_score)}${score.critical_failure ? ' (critical failure)' : ''}</dd>
              <dt>Raw score</dt><dd>${num(score.raw_score)}</dd>
              ${score.sections.map((x) => html`<dt>${x.title}</dt><dd>${num(x.score)}</dd>`)}
            </dl>` : html`<p class="muted">Not scored.</p>`}
          </section>
          <section class="card" aria-labelledby="visit-title">
            <h2 id="visit-title">The visit</h2>
            <dl class="facts">
              <dt>Scenario</dt><dd>${a.scenario}</dd>
              <dt>From</dt><dd>${when(s.content.visit_start)}</dd>
              <dt>To</dt><dd>${when(s.content.visit_end)}</dd>
            </dl>
            <p dir="auto">${s.content.narrative}</p>
          </section>
        </div>
        ${s.reimbursements.length > 0 && html`<section class="card scroll" aria-labelledby="expenses-title">
          <h2 id="expenses-title">Expenses</h2>
          <table id="expenses"><thead><tr><th scope="col">Line</th><th scope="col">Claimed</th><th scope="col">Receipt</th><th scope="col">Decision</th></tr></thead>
            <tbody>${s.reimbursements.map((r) => html`<tr data-expense=${r.key}>
              <td>${label(r.category)}<div class="muted" dir="auto">${r.description || r.key}</div></td>
              <td>${r.claimed.amount} ${r.claimed.currency}</td>
              <td>${r.receipt_attachment_id ? 'yes' : html`<span class="muted">none</span>`}</td>
              <td>${r.status === 'claimed' && open
                ? html`<label><input type="checkbox" checked=${refusals[r.key] !== undefined}
                    onChange=${(e) => { const next = { ...refusals }; if (e.target.checked) next[r.key] = ''; else delete next[r.key]; setRefusals(next); }} /> Refuse</label>
                  ${refusals[r.key] !== undefined && html`<label>Why<input value=${refusals[r.key]} required
                    onInput=${(e) => setRefusals({ ...refusals, [r.key]: e.target.value })} /></label>`}`
                : html`${r.status}${r.approved ? ` · ${r.approved.amount} ${r.approved.currency}` : ''}${r.decision_note ? ` · ${r.decision_note}` : ''}`}</td>
            </tr>`)}</tbody></table>
          ${open && html`<p class="muted">Lines not refused are approved as claimed with the approval, up to the shop's cap.</p>`}
        </section>`}
        ${s.attachments.length > 0 && html`<section class="card"><h2>Files</h2>
          <div class="photos">${s.attachments.map((f) => html`<${Evidence} file=${f} />`)}</div></section>`}
        <section class="card scroll" aria-labelledby="answers-title">
          <h2 id="answers-title">Answers</h2>
          <table class="answers" id="answers">
            <thead><tr><th scope="col">Item</th><th scope="col">Answer</th><th scope="col">Compliance</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>${checklist.sections.map((section) => html`
              <tr><th colspan="4" scope="colgroup">${section.title}</th></tr>
              ${section.items.map((item) => {
                const original = s.content.answers?.[item.key];
                const now = answers[item.key];
                const edited = s.edits.filter((e) => e.item_key === item.key && !e.superseded_at);
                const compliance = item.standard && score?.standards?.[item.standard];
                return html`<tr data-item=${item.key}>
                  <td><span dir="auto">${item.prompt}</span>
                    <div class="muted">${item.key}${item.standard ? ` · ${item.standard}` : ''}${item.critical ? ' · critical' : ''}</div></td>
                  <td><span dir="auto">${answerText(item, now)}</span>
                    ${edited.length > 0 && html`<div class="muted">edited from “${answerText(item, original)}”: ${edited[edited.length - 1].reason}</div>`}
                    ${now?.comment && html`<div class="muted" dir="auto">${now.comment}</div>`}
                    ${s.review?.item_comments?.[item.key] && html`<div class="muted">Reviewer: ${s.review.item_comments[item.key]}</div>`}
                    ${open && comments[item.key] !== undefined && html`<label>Comment for the shopper
                      <textarea value=${comments[item.key]} onInput=${(e) => setComments({ ...comments, [item.key]: e.target.value })}></textarea></label>`}
                  </td>
                  <td>${compliance ? pct(compliance.value) : ''}</td>
                  <td>
                    ${editable && item.type !== 'evidence' && html`<button type="button" class="secondary" onClick=${() => setEditing(item.key)}
                      aria-label=${`Edit the answer to ${item.key}`}>Edit</button>`}
                    ${open && comments[item.key] === undefined && html`<button type="button" class="secondary"
                      onClick=${() => setComments({ ...comments, [item.key]: '' })} aria-label=${`Comment on ${item.key}`}>Comment</button>`}
                  </td>
                </tr>
                ${editing === item.key && html`<tr><td colspan="4"><${EditForm} item=${item} current=${now}
                  onCancel=${() => setEditing(null)}
                  onSave=${(edit) => act(`/v1/submissions/${id}/edits`, edit, `The answer to ${item.key} was changed.`)} /></td></tr>`}`;
              })}`)}
            </tbody>
          </table>
        </section>
        ${open && html`<section class="card" aria-labelledby="decide-title">
          <h2 id="decide-title">Decision</h2>
          <label>Comment (for the shopper; required to reject)
            <textarea name="comment" value=${comment} onInput=${(e) => setComment(e.target.value)}></textarea></label>
          <label>Grade of the shopper's work (optional; it feeds their reputation)
            <select name="grade" value=${grade} onChange=${(e) => setGrade(e.target.value)}>
              <option value="">Not graded</option>
              ${[5, 4, 3, 2, 1].map((g) => html`<option value=${g}>${g}</option>`)}
            </select></label>
          <div class="actions-row">
            <button type="button" id="approve" disabled=${busy} onClick=${() => decide(`/v1/submissions/${id}/approve`, 'Approved: the visit now counts in the reports.')}>Approve</button>
            <button type="button" id="return" class="secondary" disabled=${busy} onClick=${() => decide(`/v1/submissions/${id}/return`, 'Returned to the shopper with your comments.')}>Return to the shopper</button>
            <button type="button" id="reject" class="danger" disabled=${busy || !comment.trim()} onClick=${() => decide(`/v1/submissions/${id}/reject`, 'Rejected.')}>Reject</button>
          </div>
          <p class="muted">To return with a comment on an item, use its Comment button first.</p>
        </section>`}
        ${s.review && html`<section class="card"><h2>Last review</h2>
          <p>${s.review.decision} ${when(s.review.at)}${s.review.comment ? `: ${s.review.comment}` : ''}</p></section>`}`;
    }}<//>`;
}
