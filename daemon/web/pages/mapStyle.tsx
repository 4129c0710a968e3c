/**
 * Mapping a ballot style by hand, a part at a time (issue #20): beside the list, the crop of the
 * style's sample page where the part's targets sit, each outlined and numbered; a search that
 * narrows the choice lists (a plain select without JavaScript); then a page that lists what will
 * be saved, before it is. The choices travel in the form from part to part (mapSteps.ts).
 */
import type { FC } from 'hono/jsx';
import { ballotImageHref } from '../imageHref.ts';
import { ballotStyleName } from '../../preaudit/styleWords.ts';
import type { StyleMappingForm } from '../deps.ts';
import { formatCount } from '../format.ts';
import { choiceInWords, cropFor, fieldName, type MappingChoices, type MappingPart, type MappingTarget, narrowContests } from '../mapSteps.ts';
import { Csrf, Layout, type PageContext } from './layout.tsx';

const plural = (n: number, one: string, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;
const sideWords = (side: string) => (side === 'back' ? 'back of the ballot' : 'front of the ballot');
const mapAction = (form: StyleMappingForm) => `/preaudit/styles/${encodeURIComponent(form.styleId)}/map`;

/** Every choice of targets not on this page, carried on to the next. */
const CarriedChoices: FC<{ choices: MappingChoices; except: ReadonlySet<string> }> = ({ choices, except }) => (
  <>
    {[...choices.entries()].map(([name, value]) => (except.has(name) || value === '' ? null : <input type="hidden" name={name} value={value} />))}
  </>
);

/** The part of the sample page with the part's targets outlined and numbered; the other targets of that side faint. */
const PartPicture: FC<{ form: StyleMappingForm; part: MappingPart }> = ({ form, part }) => {
  const page = form.pages.find((p) => p.side === part.side);
  if (page === undefined) return <p class="notice neutral">There is no picture of the {sideWords(part.side)} for this style.</p>;
  // The number goes on the side away from the printed name, so it hides none of it.
  const namesRight = form.namesRightOfTargets === true;
  const crop = cropFor(page, part.targets, namesRight);
  const inPart = new Set(part.targets.map((t) => t.number));
  // The numbers keep one size on the screen however wide the crop is.
  const numberSize = Math.max(24, Math.round(crop.width / 24));
  const href = ballotImageHref(page.imageId, page.imagePage, page.member);
  return (
    <figure class="ballot map-crop">
      <figcaption>
        {part.side === 'back' ? 'Back' : 'Front'} of the ballot, targets {part.targets[0]?.number} to {part.targets.at(-1)?.number}
      </figcaption>
      <svg viewBox={`${crop.x} ${crop.y} ${crop.width} ${crop.height}`} role="img" aria-label={`Part of the ${sideWords(part.side)} with the targets to choose for outlined and numbered`} data-testid="map-picture">
        <image href={href} x="0" y="0" width={page.width} height={page.height} />
        {form.targets.flatMap((t) =>
          t.side !== part.side || t.box === null
            ? []
            : [
                <g class={inPart.has(t.number) ? 'map-target this-part' : 'map-target'} data-target={t.number}>
                  <rect x={t.box.x - 4} y={t.box.y - 4} width={t.box.width + 8} height={t.box.height + 8} />
                  {inPart.has(t.number) ? (
                    <text
                      x={namesRight ? t.box.x - 8 : t.box.x + t.box.width + 8}
                      y={t.box.y + t.box.height}
                      text-anchor={namesRight ? 'end' : 'start'}
                      class="map-number-label"
                      font-size={numberSize}
                      stroke-width={Math.round(numberSize / 6)}
                    >
                      {t.number}
                    </text>
                  ) : null}
                </g>,
              ],
        )}
      </svg>
    </figure>
  );
};

const TargetChoice: FC<{ form: StyleMappingForm; target: MappingTarget; value: string; search: string; first: ReadonlySet<string> }> = ({ form, target, value, search, first }) => {
  const contests = narrowContests(form.contests, search, first);
  const listed = value === '' || value === 'none' || contests.some((c) => c.options.some((o) => `${c.id}|${o.id}` === value));
  const id = `choice-${target.number}`;
  return (
    <div class="map-choice" data-side={target.side} data-column={target.column} data-row={target.row}>
      <label for={id}>
        <span class="map-number">Target {target.number}</span>
        {target.text === null ? <span class="small"> placed by the matcher: check it</span> : <span class="small"> read beside it: {target.text || 'nothing legible'}</span>}
      </label>
      <select id={id} name={fieldName(target)} data-target={target.number}>
        <option value="" selected={value === ''}>
          — choose —
        </option>
        <option value="none" selected={value === 'none'}>
          Not a voting target
        </option>
        {listed ? null : (
          <option value={value} selected>
            {choiceInWords(form.contests, value) ?? value}
          </option>
        )}
        {contests.map((c) => (
          <optgroup label={c.title}>
            {c.options.map((o) => (
              <option value={`${c.id}|${o.id}`} selected={value === `${c.id}|${o.id}`}>
                {c.title}: {o.name}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
    </div>
  );
};

export const MapPartPage: FC<{ page: PageContext; form: StyleMappingForm; part: MappingPart; parts: number; choices: MappingChoices; search: string }> = ({ page, form, part, parts, choices, search }) => {
  const here = new Set(part.targets.map(fieldName));
  const first = new Set(part.targets.flatMap((t) => (choices.get(fieldName(t)) ?? '').split('|').slice(0, 1).filter((c) => c !== '' && c !== 'none')));
  const chosen = [...choices.values()].filter((v) => v !== '').length;
  const last = part.index === parts - 1;
  return (
    <Layout page={page} active="preaudit" title={`Map ${ballotStyleName(form.printed)}`} live={false}>
      <p class="map-progress" data-testid="map-progress">
        Part {part.index + 1} of {parts} · {formatCount(chosen)} of {plural(form.targets.length, 'target')} chosen ·{' '}
        <a href="/preaudit">Stop without saving</a>
      </p>
      <form method="post" action={mapAction(form)} class="map-part">
        <Csrf token={page.csrfToken} />
        <input type="hidden" name="part" value={String(part.index)} />
        <CarriedChoices choices={choices} except={here} />
        <div class="map-layout">
          <PartPicture form={form} part={part} />
          <div class="map-list">
            <p class="next">For each numbered target, choose the name printed beside it on the ballot.</p>
            <div class="map-search">
              <label for="map-search">Find a contest or name</label>
              <input id="map-search" type="search" name="q" value={search} autocomplete="off" data-filter-choices />
              <button type="submit" name="go" value="filter" class="button small secondary">
                Narrow the lists
              </button>
              {search === '' ? null : (
                <p class="small" data-testid="map-search-note">
                  The lists show only the choices matching “{search}”.{' '}
                  <button type="submit" name="go" value="clear" class="button small secondary">
                    Show every choice
                  </button>
                </p>
              )}
            </div>
            {part.targets.map((t) => (
              <TargetChoice form={form} target={t} value={choices.get(fieldName(t)) ?? ''} search={search} first={first} />
            ))}
            <div class="actions map-actions">
              {part.index === 0 ? null : (
                <button type="submit" name="go" value="back" class="button secondary">
                  Back
                </button>
              )}
              <button type="submit" name="go" value={last ? 'review' : 'next'} class="button primary" data-testid={last ? 'map-review' : 'map-next'}>
                {last ? 'Check before saving' : 'Next part'}
              </button>
              {last ? null : (
                <button type="submit" name="go" value="review" class="button secondary" data-testid="map-review-now">
                  Check before saving
                </button>
              )}
            </div>
          </div>
        </div>
      </form>
    </Layout>
  );
};

/** What will be saved, part by part, before it is; a part can be changed, and nothing is saved until "Save". */
export const MapReviewPage: FC<{ page: PageContext; form: StyleMappingForm; parts: readonly MappingPart[]; choices: MappingChoices }> = ({ page, form, parts, choices }) => {
  const values = form.targets.map((t) => choices.get(fieldName(t)) ?? '');
  const missing = values.filter((v) => v === '').length;
  const notTargets = values.filter((v) => v === 'none').length;
  const contests = new Set(values.filter((v) => v !== '' && v !== 'none').map((v) => v.split('|')[0]));
  return (
    <Layout page={page} active="preaudit" title={`Check the mapping of ${ballotStyleName(form.printed)}`} live={false}>
      <section class="panel">
        <p data-testid="map-review-summary">
          {plural(form.targets.length, 'target')}: {plural(form.targets.length - missing - notTargets, 'choice')} in {plural(contests.size, 'contest')}
          {notTargets === 0 ? '' : `, ${plural(notTargets, 'target')} that ${notTargets === 1 ? 'is' : 'are'} not for voting`}.
        </p>
        {missing === 0 ? (
          <p class="next">
            Nothing is saved yet. Check the list, then save: the mapping is recorded under your name ({page.user.name}) and the {plural(form.sheetsWaiting, 'sheet')} of this style
            waiting for it {form.sheetsWaiting === 1 ? 'is' : 'are'} read and compared.
          </p>
        ) : (
          <div class="notice bad" role="alert" data-testid="map-missing">
            <p class="what">{plural(missing, 'target')} still {missing === 1 ? 'has' : 'have'} no choice, so this mapping cannot be saved yet.</p>
            <p class="next">What to do: press "Change" beside the part with a target marked "not chosen yet" and choose for it.</p>
          </div>
        )}
      </section>
      <form method="post" action={mapAction(form)} class="panel">
        <Csrf token={page.csrfToken} />
        <CarriedChoices choices={choices} except={new Set()} />
        <table class="table" data-testid="map-review">
          <thead>
            <tr>
              <th>Target</th>
              <th>It is</th>
              <th></th>
            </tr>
          </thead>
          {parts.map((p) => (
            <tbody>
              {p.targets.map((t, i) => {
                const words = choiceInWords(form.contests, choices.get(fieldName(t)) ?? '');
                return (
                  <tr class={words === null ? 'row-bad' : ''}>
                    <td>
                      {t.number} ({p.side})
                    </td>
                    <td>{words ?? 'Not chosen yet'}</td>
                    {i === 0 ? (
                      <td rowspan={p.targets.length}>
                        <button type="submit" name="go" value={`part-${p.index}`} class="button small secondary">
                          Change part {p.index + 1}
                        </button>
                      </td>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
          ))}
        </table>
        <div class="actions">
          {missing === 0 ? (
            <button type="submit" formaction={`/api/preaudit/styles/${encodeURIComponent(form.styleId)}/mapping`} class="button primary big" data-testid="save-mapping">
              Save this mapping
            </button>
          ) : null}
          <a class="button secondary big" href="/preaudit">
            Stop without saving
          </a>
        </div>
      </form>
    </Layout>
  );
};
