import type { FC } from 'hono/jsx';
import { imageKeyInWords } from '../../importer/imageKeys.ts';
import { ballotStyleName } from '../../preaudit/styleWords.ts';
import { preauditProgress } from '../preauditProgress.ts';
import { stylesLearnedFrom } from '../stylesLearnedFrom.ts';
import type { DisagreementSummary, LearnedStyleSummary, Phase1Check, PreauditStatus } from '../deps.ts';
import { formatCount, formatTime } from '../format.ts';
import { Layout, NotInstalled, type PageContext } from './layout.tsx';

const checkPill: Record<Phase1Check['state'], string> = { pass: 'good', warn: 'warn', fail: 'bad', running: 'neutral', 'not-run': 'neutral' };
const checkLabel: Record<Phase1Check['state'], string> = { pass: 'Pass', warn: 'Warning', fail: 'Fail', running: 'Running', 'not-run': 'Not run' };

export const PreauditPage: FC<{
  page: PageContext;
  checks: readonly Phase1Check[] | null;
  status: PreauditStatus | null;
  disagreements: readonly DisagreementSummary[] | null;
  styles: readonly LearnedStyleSummary[] | null;
  now: Date;
  /** A style whose hand mapping was just saved: said at the top. */
  justMapped?: LearnedStyleSummary | undefined;
}> = ({ page, checks, status, disagreements, styles, now, justMapped }) => (
  <Layout page={page} active="preaudit" title="Pre-audit">
    {justMapped === undefined ? null : (
      <div class="notice good-note" role="status" data-testid="mapping-saved">
        <p class="what">
          Saved: {ballotStyleName(justMapped.printed)} is mapped by hand ({justMapped.mappedBy}), {formatCount(justMapped.targets)} target{justMapped.targets === 1 ? '' : 's'}
          {justMapped.contests === null ? null : ` in ${formatCount(justMapped.contests)} contest${justMapped.contests === 1 ? '' : 's'}`}.
        </p>
        <p class="next">Its sheets are read and compared in the next pass of the pre-audit; the table below shows how many have been read.</p>
      </div>
    )}
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
      <p data-testid="styles-learned-from">
        {formatCount(styles.length)} style{styles.length === 1 ? '' : 's'}, learned {formatTime(learnedAt, now)} {stylesLearnedFrom(styles)}
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
              <td>{s.status === 'needs-person' ? `${formatCount(s.targets)} found` : formatCount(s.targets)}</td>
              <td>{s.contests === null ? 'Not known until mapped' : formatCount(s.contests)}</td>
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

/** The ballot image with each target box drawn over it: what was read, what the CVR says. */

// The disagreement's evidence page lives in its own file.
export { DisagreementPage } from './disagreement.tsx';
