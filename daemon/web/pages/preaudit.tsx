import type { FC } from 'hono/jsx';
import { imageKeyInWords } from '../../importer/imageKeys.ts';
import { ballotStyleName } from '../../preaudit/styleWords.ts';
import { preauditProgress } from '../preauditProgress.ts';
import type { DisagreementDetail, DisagreementSummary, LearnedStyleSummary, Phase1Check, PreauditStatus, StyleMappingForm } from '../deps.ts';
import { formatCount, formatTime } from '../format.ts';
import { Csrf, Layout, NotInstalled, type PageContext } from './layout.tsx';

const checkPill: Record<Phase1Check['state'], string> = { pass: 'good', warn: 'warn', fail: 'bad', running: 'neutral', 'not-run': 'neutral' };
const checkLabel: Record<Phase1Check['state'], string> = { pass: 'Pass', warn: 'Warning', fail: 'Fail', running: 'Running', 'not-run': 'Not run' };

export const PreauditPage: FC<{
  page: PageContext;
  checks: readonly Phase1Check[] | null;
  status: PreauditStatus | null;
  disagreements: readonly DisagreementSummary[] | null;
  styles: readonly LearnedStyleSummary[] | null;
  now: Date;
}> = ({ page, checks, status, disagreements, styles, now }) => (
  <Layout page={page} active="preaudit" title="Pre-audit">
    <section class="panel">
      <h2>Phase-1 checks (exports and CVRs)</h2>
      {checks === null ? (
        <NotInstalled what="Import checks" />
      ) : checks.length === 0 ? (
        <p>No checks have run yet. They run when the EMS exports CVRs.</p>
      ) : (
        <ul class="checks">
          {checks.map((c) => (
            <li>
              <span class={`pill ${checkPill[c.state]}`}>{checkLabel[c.state]}</span> <strong>{c.name}</strong> — {c.summary}
              {c.details.length === 0 ? null : (
                <ul class="details">
                  {c.details.map((d) => (
                    <li>{d}</li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
    <section class="panel">
      <h2>Ballot images compared with CVRs</h2>
      <p>
        <a class="button small" href="/preaudit/evidence" data-testid="evidence-link">
          Per-contest summary, duplicates and report files
        </a>
      </p>
      {status === null ? (
        <NotInstalled what="The pre-audit" />
      ) : (
        <>
          <p data-testid="preaudit-status">{preauditProgress(status, now).line}</p>
          <progress max={Math.max(1, status.imagesTotal)} value={preauditProgress(status, now).read} aria-label="Ballot images read"></progress>
          {status.message === undefined ? null : <p class="next">{status.message}</p>}
        </>
      )}
    </section>
    {styles === null || styles.length === 0 ? null : <StylesPanel styles={styles} now={now} />}
    {disagreements === null || disagreements.length === 0 ? null : (
      <section class="panel">
        <h2>Disagreements</h2>
        <table class="table">
          <thead>
            <tr>
              <th>Ballot</th>
              <th>Contest</th>
              <th>CVR says</th>
              <th>Image shows</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {disagreements.map((d) => (
              <tr>
                <td>{imageKeyInWords(d.ballotId)}</td>
                <td>{d.contest}</td>
                <td>{d.cvrChoices.join(', ') || '(no vote)'}</td>
                <td>{d.imageChoices.join(', ') || '(no mark)'}</td>
                <td>
                  <a class="button small" href={`/preaudit/disagreements/${d.id}`}>
                    Show ballot
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    )}
  </Layout>
);

/**
 * The ballot styles learned from the images (no vendor style files): how many targets and contests
 * each maps, how many sheets were read with it, and for a style OCR could not map, what it read
 * where and what to do.
 */
const StylesPanel: FC<{ styles: readonly LearnedStyleSummary[]; now: Date }> = ({ styles, now }) => {
  const waiting = styles.filter((s) => s.status === 'needs-person');
  const learnedAt = styles.map((s) => s.learnedAt).sort().at(-1) ?? null;
  return (
    <section class="panel" data-testid="preaudit-styles">
      <h2>Ballot styles learned from the images</h2>
      <p>
        {formatCount(styles.length)} style{styles.length === 1 ? '' : 's'}, learned {formatTime(learnedAt, now)} from the printed codes and the
        names beside the targets (read once per style and matched to the imported contests).
        {waiting.length === 0
          ? ' Every style is mapped.'
          : ` ${formatCount(waiting.length)} could not be mapped and ${waiting.length === 1 ? 'waits' : 'wait'} for a person: ${waiting.length === 1 ? 'its' : 'their'} sheets are not compared.`}
      </p>
      <table class="table">
        <thead>
          <tr>
            <th>Style</th>
            <th>State</th>
            <th>Targets</th>
            <th>Contests</th>
            <th>Sheets read</th>
            <th>Not read</th>
          </tr>
        </thead>
        <tbody>
          {styles.map((s) => (
            <tr class={s.status === 'needs-person' ? 'row-bad' : ''}>
              <td>{s.printed}</td>
              <td>
                {s.status === 'needs-person' ? (
                  <span class="pill warn">Waiting for a person</span>
                ) : s.mappedBy === null ? (
                  <span class="pill good">Mapped by OCR</span>
                ) : (
                  <span class="pill good">Mapped by hand ({s.mappedBy})</span>
                )}
              </td>
              <td>{formatCount(s.targets)}</td>
              <td>{formatCount(s.contests)}</td>
              <td>{formatCount(s.sheetsRead)}</td>
              <td>{formatCount(s.sheetsWaiting)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {waiting.map((s) => (
        <div class="style-waiting">
          <h3>{s.printed}</h3>
          <p>{s.reason}</p>
          <p>
            <a class="button small" href={`/preaudit/styles/${encodeURIComponent(s.styleId)}/map`} data-testid="map-style">
              Map this style by hand
            </a>
          </p>
          <p class="next">
            What to do: check that the election definition naming these contests and options (EMS manifests or EIF) was imported; the styles are
            learned again by themselves when it is. If it was, map the style by hand: say for each numbered target which contest option it is. Until then the {formatCount(s.sheetsWaiting)} sheet{s.sheetsWaiting === 1 ? '' : 's'} of this style
            {s.sheetsWaiting === 1 ? ' is' : ' are'} kept but not compared.
          </p>
          {s.unresolved.length === 0 ? null : (
            <table class="table small">
              <thead>
                <tr>
                  <th>Target</th>
                  <th>Text read beside it</th>
                  <th>Why it was not placed</th>
                </tr>
              </thead>
              <tbody>
                {s.unresolved.map((u) => (
                  <tr>
                    <td>
                      {u.side}, column {u.column}, row {u.row}
                    </td>
                    <td>{u.text.replace(/\s+/g, ' ').trim() || '(nothing legible)'}</td>
                    <td>{u.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      ))}
    </section>
  );
};

/**
 * Mapping a style by hand: the sample page of each side with every target numbered, and one choice
 * per target (the matcher's placement preselected). Saved, the style is read like a learned one.
 */
export const MapStylePage: FC<{ page: PageContext; form: StyleMappingForm }> = ({ page, form }) => (
  <Layout page={page} active="preaudit" title={`Map ${ballotStyleName(form.printed)}`} live={false}>
    <p>
      <a href="/preaudit">← Back to pre-audit</a>
    </p>
    <section class="panel">
      <p>{form.reason}</p>
      <p class="next">
        For each numbered target on the ballot below, choose the contest option printed beside it (or "not a voting target"). Targets the
        matcher placed are filled in; check them too. Saving records the mapping under your name ({page.user.name}); the{' '}
        {formatCount(form.sheetsWaiting)} sheet{form.sheetsWaiting === 1 ? ' of this style is' : 's of this style are'} then read and compared.
      </p>
    </section>
    <div class="ballot-layout">
      {form.pages.map((p) => (
        <figure class="ballot">
          <figcaption>{p.side}</figcaption>
          <svg viewBox={`0 0 ${p.width} ${p.height}`} role="img" aria-label={`Sample ${p.side} of this style with its targets numbered`} data-testid={`map-${p.side}`}>
            <image href={p.imagePage === 0 ? `/api/images/${p.imageId}` : `/api/images/${p.imageId}?page=${p.imagePage}`} x="0" y="0" width={p.width} height={p.height} />
            {form.targets.flatMap((t) =>
              t.side !== p.side || t.box === null
                ? []
                : [
                    <g class={`target ${t.current === null ? 'disagree' : 'empty'}`}>
                      <rect x={t.box.x} y={t.box.y} width={t.box.width} height={t.box.height} />
                      <text x={t.box.x + t.box.width + 2} y={t.box.y + t.box.height} class="target-number">
                        {t.number}
                      </text>
                    </g>,
                  ],
            )}
          </svg>
        </figure>
      ))}
    </div>
    <form method="post" action={`/api/preaudit/styles/${encodeURIComponent(form.styleId)}/mapping`} class="panel form">
      <Csrf token={page.csrfToken} />
      <table class="table">
        <thead>
          <tr>
            <th>#</th>
            <th>Target</th>
            <th>Read beside it</th>
            <th>It is</th>
          </tr>
        </thead>
        <tbody>
          {form.targets.map((t) => {
            const selected = t.current === null ? '' : `${t.current.contestId}|${t.current.optionId}`;
            return (
              <tr class={t.current === null ? 'row-bad' : ''}>
                <td>{t.number}</td>
                <td>
                  {t.side}, column {t.column}, row {t.row}
                </td>
                <td>{t.text === null ? '(placed by the matcher)' : t.text || '(nothing legible)'}</td>
                <td>
                  <select name={`t.${t.side}.${t.column}.${t.row}`} required aria-label={`Target ${t.number}`}>
                    <option value="" selected={selected === ''}>
                      — choose —
                    </option>
                    <option value="none">not a voting target</option>
                    {form.contests.map((c) => (
                      <optgroup label={c.title}>
                        {c.options.map((o) => (
                          <option value={`${c.id}|${o.id}`} selected={selected === `${c.id}|${o.id}`}>
                            {c.title}: {o.name}
                          </option>
                        ))}
                      </optgroup>
                    ))}
                  </select>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <div class="actions">
        <button type="submit" class="button primary big" data-testid="save-mapping">
          Save this mapping
        </button>
        <a class="button secondary big" href="/preaudit">
          Cancel
        </a>
      </div>
    </form>
  </Layout>
);

/** The ballot image with each target box drawn over it: what was read, what the CVR says. */

// The disagreement's evidence page lives in its own file.
export { DisagreementPage } from './disagreement.tsx';
