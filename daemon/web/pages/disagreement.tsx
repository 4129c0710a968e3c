import type { FC } from 'hono/jsx';
import { imageKeyInWords } from '../../importer/imageKeys.ts';
import { ballotImageHref } from '../imageHref.ts';
import type { DisagreementDetail, TargetOverlay } from '../deps.ts';
import { Layout, type PageContext } from './layout.tsx';

/**
 * One disagreement as evidence: the contest in question alone is outlined (never filled, so the
 * voter's marks stay visible), its targets labelled in words and line styles as well as colour
 * (solid = mark read on the image, dashed = the CVR's vote, ≠ where they differ); a close-up of
 * the contest, and the whole page at three zoom levels (CSS :target, no script).
 */

interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The contest's area: its targets, widened to take in the option names printed beside them. */
export function contestArea(targets: readonly Box[], imageWidth: number, imageHeight: number, namesRight = false): Box | null {
  if (targets.length === 0) return null;
  const left = Math.min(...targets.map((t) => t.x));
  const top = Math.min(...targets.map((t) => t.y));
  const right = Math.max(...targets.map((t) => t.x + t.width));
  const bottom = Math.max(...targets.map((t) => t.y + t.height));
  const h = Math.max(...targets.map((t) => t.height));
  const padX = Math.max(imageWidth * 0.12, h * 6);
  const padY = h * 2.5;
  // ES&S prints the names right of the ovals: the same width, nearly all of it on their side.
  const [padLeft, padRight] = namesRight ? [padX * 0.25, padX * 1.75] : [padX, padX];
  const x = Math.max(0, left - padLeft);
  const y = Math.max(0, top - padY);
  return { x, y, width: Math.min(imageWidth, right + padRight) - x, height: Math.min(imageHeight, bottom + padY) - y };
}

/** The scanner's own record of the ballot (Dominion's AuditMark page): what it read and any adjudication, as a picture. */
const ScannerRecord: FC<{ d: DisagreementDetail }> = ({ d }) => {
  const a = d.auditMark;
  if (a === undefined || a === null) return null;
  const href = `/api/images/${a.imageId}?page=${a.page}`;
  return (
    <figure class="scanner-record" data-testid="scanner-record">
      <figcaption>
        <strong>The scanner's own record of this ballot</strong>: the page the scanner added to the image file ({a.fileName}, page {a.page + 1}) with what it read and
        any change made when it was reviewed. Compare it with the CVR and with the ballot.
      </figcaption>
      <a class="crop" href={href} target="_blank" rel="noopener">
        <img src={href} alt={`The scanner's own record of ballot ${imageKeyInWords(d.ballotId)}`} />
      </a>
      <p class="small">
        <a href={href} target="_blank" rel="noopener">
          Open the scanner's record full size
        </a>
      </p>
    </figure>
  );
};

const imageHref = (d: DisagreementDetail) => ballotImageHref(d.imageId, d.imagePage, d.imageMember);

function targetWords(t: TargetOverlay): string {
  return `${t.option}: image ${t.marked ? 'marked' : 'not marked'}${t.score === null ? '' : ` (fill ${Math.round(t.score * 100)}%)`}, CVR ${t.cvrMarked ? 'vote' : 'no vote'}`;
}

/**
 * Where a target's ≠ goes, clear of the printed words. ES&S prints the names right of the ovals and
 * the contest's header ("Vote for 1") just above the first one, so the ≠ sits on the target's row,
 * left of the CVR's outline (the close-up keeps at least 1.5 target heights there). Dominion prints
 * the names left of the ovals, so there it stays centred above the target.
 */
export function differsMarkAt(t: Box, namesRight: boolean): { x: number; y: number; fontSize: number; anchor: 'end' | 'middle' } {
  const pad = t.height * 0.25;
  const fontSize = t.height * 1.1;
  if (namesRight) return { x: t.x - 2 * pad - t.height * 0.15, y: t.y + t.height * 0.85, fontSize, anchor: 'end' };
  return { x: t.x + t.width / 2, y: t.y - 3 * pad, fontSize, anchor: 'middle' };
}

/** A target of the contest: solid outline for a mark read, dashed for the CVR's vote, both when both. */
const ContestTarget: FC<{ t: TargetOverlay; labels: boolean; namesRight: boolean }> = ({ t, labels, namesRight }) => {
  const disagree = t.marked !== t.cvrMarked;
  const pad = t.height * 0.25;
  const mark = differsMarkAt(t, namesRight);
  return (
    <g class={`target ${t.marked ? 'marked' : 'empty'} ${disagree ? 'disagree' : 'agree'}`} data-option={t.option}>
      {t.marked ? <rect class="mark-read" x={t.x - pad} y={t.y - pad} width={t.width + 2 * pad} height={t.height + 2 * pad} /> : null}
      {t.cvrMarked ? <rect class="cvr-vote" x={t.x - 2 * pad} y={t.y - 2 * pad} width={t.width + 4 * pad} height={t.height + 4 * pad} /> : null}
      {!t.marked && !t.cvrMarked ? <rect class="no-vote" x={t.x} y={t.y} width={t.width} height={t.height} /> : null}
      {labels && disagree ? (
        <text class="target-label differs" x={mark.x} y={mark.y} font-size={mark.fontSize} text-anchor={mark.anchor}>
          ≠
        </text>
      ) : null}
      <title>{targetWords(t)}</title>
    </g>
  );
};

export const DisagreementPage: FC<{ page: PageContext; d: DisagreementDetail }> = ({ page, d }) => {
  const mine = d.targets.filter((t) => t.contest === d.contest);
  const area = contestArea(mine, d.imageWidth, d.imageHeight, d.namesRightOfTargets === true);
  const ballot = imageKeyInWords(d.ballotId);
  return (
    <Layout page={page} active="preaudit" title={`Ballot: ${ballot} — ${d.contest}`} live={false}>
      <p>
        <a href="/preaudit">← Back to pre-audit</a>
      </p>
      <div class="ballot-layout">
        <div>
          {area === null ? null : (
            <figure class="ballot closeup">
              <figcaption>Close-up: {d.contest}</figcaption>
              <svg viewBox={`${area.x} ${area.y} ${area.width} ${area.height}`} role="img" aria-label={`Close-up of ${d.contest} on ballot ${ballot}`} data-testid="contest-closeup">
                <image href={imageHref(d)} x="0" y="0" width={d.imageWidth} height={d.imageHeight} />
                {mine.map((t) => (
                  <ContestTarget t={t} labels={true} namesRight={d.namesRightOfTargets === true} />
                ))}
              </svg>
            </figure>
          )}
          <ScannerRecord d={d} />
          <p class="zoom-links">
            Whole page: <a href="#zoom-1">fit</a> · <a href="#zoom-2">2×</a> · <a href="#zoom-3">3×</a>
          </p>
          <span id="zoom-1" class="zoom-anchor"></span>
          <span id="zoom-2" class="zoom-anchor"></span>
          <span id="zoom-3" class="zoom-anchor"></span>
          <div class="ballot-scroll">
            <figure class="ballot whole">
              <svg viewBox={`0 0 ${d.imageWidth} ${d.imageHeight}`} role="img" aria-label={`Ballot ${ballot}, ${d.contest} outlined`} data-testid="ballot-overlay">
                <image href={imageHref(d)} x="0" y="0" width={d.imageWidth} height={d.imageHeight} />
                {area === null ? null : (
                  <g class="contest-outline" data-contest={d.contest}>
                    <rect x={area.x} y={area.y} width={area.width} height={area.height} />
                    <text x={area.x + 8} y={Math.max(40, area.y - 10)} class="contest-label">
                      {d.contest}
                    </text>
                  </g>
                )}
                {mine.map((t) => (
                  <ContestTarget t={t} labels={false} namesRight={d.namesRightOfTargets === true} />
                ))}
              </svg>
            </figure>
          </div>
        </div>
        <aside class="panel legend">
          <h2>This contest</h2>
          <p>
            CVR says: <strong>{d.cvrChoices.join(', ') || '(no vote)'}</strong>
          </p>
          <p>
            Image shows: <strong>{d.imageChoices.join(', ') || '(no mark)'}</strong>
          </p>
          {d.note === null ? null : <p>{d.note}</p>}
          {d.styleKnownBy === undefined || d.styleKnownBy === null ? null : <p data-testid="style-known-by">Ballot style known {d.styleKnownBy}.</p>}
          <table class="table small" data-testid="contest-targets">
            <thead>
              <tr>
                <th>Option</th>
                <th>Image</th>
                <th>CVR</th>
              </tr>
            </thead>
            <tbody>
              {mine.map((t) => (
                <tr class={t.marked !== t.cvrMarked ? 'row-bad' : ''}>
                  <td>
                    {t.marked !== t.cvrMarked ? '≠ ' : ''}
                    {t.option}
                  </td>
                  <td>{t.marked ? `marked${t.score === null ? '' : ` (${Math.round(t.score * 100)}%)`}` : '–'}</td>
                  <td>{t.cvrMarked ? 'vote' : '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Key</h2>
          <ul class="key">
            <li>
              <span class="swatch mark-read"></span> solid box: mark read on the image
            </li>
            <li>
              <span class="swatch cvr-vote"></span> dashed box: the CVR's vote
            </li>
            <li>
              <span class="swatch contest"></span> the contest that disagrees; ≠ where image and CVR differ
            </li>
          </ul>
        </aside>
      </div>
    </Layout>
  );
};
