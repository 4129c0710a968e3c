import type { FC } from 'hono/jsx';
import type { Phase1Check } from '../deps.ts';
import type { ContestSummaryRow } from '../../preaudit/webApi.ts';
import { formatCount } from '../format.ts';
import { ballotImageHref } from '../imageHref.ts';
import { Layout, NotInstalled, type PageContext } from './layout.tsx';

/**
 * The pre-audit's evidence: per contest, how many ballots agree with their CVR, disagree, are gray
 * (a person decides) or have no CVR, as a table and a bar chart (patterns and counts besides
 * colour), contests with disagreements first; the duplicates phase 1 found; the report files.
 */

const parts = [
  { key: 'disagree', label: 'Disagree', pattern: 'url(#ev-hatch)' },
  { key: 'gray', label: 'Gray (a person decides)', pattern: 'url(#ev-dots)' },
  { key: 'noCvr', label: 'No CVR', pattern: '#ffffff' },
  { key: 'agree', label: 'Agree', pattern: '#2f7d46' },
] as const;

const Chart: FC<{ rows: readonly ContestSummaryRow[] }> = ({ rows }) => {
  const rowH = 34;
  const labelW = 260;
  const barW = 560;
  const total = (r: ContestSummaryRow) => r.agree + r.disagree + r.gray + r.noCvr;
  const max = Math.max(1, ...rows.map(total));
  return (
    <svg viewBox={`0 0 ${labelW + barW + 20} ${rows.length * rowH + 10}`} role="img" aria-label="Ballots per contest: disagree, gray, no CVR, agree" data-testid="contest-chart" class="contest-chart">
      <defs>
        <pattern id="ev-hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <rect width="8" height="8" fill="#f6d4d1" />
          <line x1="0" y1="0" x2="0" y2="8" stroke="#b3261e" stroke-width="4" />
        </pattern>
        <pattern id="ev-dots" width="8" height="8" patternUnits="userSpaceOnUse">
          <rect width="8" height="8" fill="#e5e7eb" />
          <circle cx="4" cy="4" r="1.8" fill="#374151" />
        </pattern>
      </defs>
      {rows.map((r, i) => {
        let x = labelW;
        const y = i * rowH + 5;
        return (
          <g data-contest={r.contest}>
            <text x={labelW - 8} y={y + rowH * 0.62} text-anchor="end" class="chart-label">
              {r.contest.length > 34 ? `${r.contest.slice(0, 33)}…` : r.contest}
            </text>
            {parts.map((p) => {
              const n = r[p.key];
              if (n === 0) return null;
              const w = (n / max) * barW;
              const seg = (
                <g class={`seg ${p.key}`}>
                  <rect x={x} y={y} width={w} height={rowH - 8} fill={p.pattern} stroke="#1f2937" stroke-width="1" />
                  {w > 28 ? (
                    <text x={x + w / 2} y={y + rowH * 0.55} text-anchor="middle" class="chart-count">
                      {n}
                    </text>
                  ) : null}
                  <title>{`${r.contest}: ${n} ${p.label.toLowerCase()}`}</title>
                </g>
              );
              x += w;
              return seg;
            })}
          </g>
        );
      })}
    </svg>
  );
};

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const downloads = [
  { kind: 'xlsx', label: 'Discrepancy report (XLSX)' },
  { kind: 'evidence', label: 'Evidence pictures of every disagreement and gray contest (ZIP)' },
  { kind: 'arlo', label: 'Ballot manifest for Arlo (CSV)' },
  { kind: 'independent-cvr', label: 'Independent CVR: what was read on every ballot (CSV)' },
] as const;

export const EvidencePage: FC<{ page: PageContext; rows: readonly ContestSummaryRow[] | null; duplicates: Phase1Check | null; downloadsAvailable: boolean }> = ({ page, rows, duplicates, downloadsAvailable }) => (
  <Layout page={page} active="preaudit" title="Pre-audit evidence" live={false}>
    <p>
      <a href="/preaudit">← Back to pre-audit</a>
    </p>
    <section class="panel">
      <h2>Contests</h2>
      {rows === null ? (
        <NotInstalled what="The pre-audit" />
      ) : rows.length === 0 ? (
        <p>No ballot has been compared yet.</p>
      ) : (
        <>
          <Chart rows={rows} />
          <p class="chart-key">
            <span class="swatch ev disagree"></span> disagree (hatched) <span class="swatch ev gray"></span> gray, a person decides (dotted) <span class="swatch ev nocvr"></span> no CVR (white){' '}
            <span class="swatch ev agree"></span> agree (solid)
          </p>
          <table class="table" data-testid="contest-summary">
            <thead>
              <tr>
                <th>Contest</th>
                <th>Disagree</th>
                <th>Gray</th>
                <th>No CVR</th>
                <th>Agree</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr class={r.disagree > 0 ? 'row-bad' : ''}>
                  <td>{r.contest}</td>
                  <td>{formatCount(r.disagree)}</td>
                  <td>{formatCount(r.gray)}</td>
                  <td>{formatCount(r.noCvr)}</td>
                  <td>{formatCount(r.agree)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
    <section class="panel" data-testid="duplicates">
      <h2>The same ballot twice</h2>
      {duplicates === null ? (
        <p>Not checked yet: the check runs once CVRs are imported or ballot images captured.</p>
      ) : (
        <>
          <p>{duplicates.summary}</p>
          {(duplicates.sameBallot ?? []).map((pair, i) => (
            <div class="same-ballot" data-testid="same-ballot">
              <p class="what">
                {i + 1}. {capital(pair.first.words)} and {pair.second.words} carry the same marks: very probably one paper ballot scanned twice, so it may be counted twice.
              </p>
              <div class="same-ballot-scans">
                {[pair.first, pair.second].map((scan) => (
                  <figure class="ballot">
                    <figcaption>{capital(scan.words)}</figcaption>
                    <img src={ballotImageHref(scan.imageId, scan.page, scan.member)} alt={`Scan of ${scan.words}`} loading="lazy" />
                  </figure>
                ))}
              </div>
              <p class="next">What to do: compare the two pictures. If they show the same ballot, tell the election supervisor: one of the two records must not be counted.</p>
            </div>
          ))}
          {duplicates.details.length === 0 ? null : (
            <ul class="details">
              {duplicates.details.map((d) => (
                <li>{d}</li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
    <section class="panel">
      <h2>Report files</h2>
      {downloadsAvailable ? (
        <ul class="downloads">
          {downloads.map((d) => (
            <li>
              <a class="button small" href={`/preaudit/evidence/download/${d.kind}`} download data-testid={`download-${d.kind}`}>
                {d.label}
              </a>
            </li>
          ))}
        </ul>
      ) : (
        <p>The report files cannot be made here.</p>
      )}
    </section>
  </Layout>
);
