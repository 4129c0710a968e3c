import { Rng } from './prng.ts';

/** The election definition: what the ballots say. Ids are stable strings; Dominion ids are numbers. */
export interface Party {
  readonly id: string;
  readonly name: string;
  readonly abbrev: string;
  readonly dominionId: number;
}

export interface Option {
  readonly id: string;
  readonly name: string;
  /** Party id, or null for non-partisan options and yes/no answers. */
  readonly partyId: string | null;
  readonly dominionId: number;
}

export interface Contest {
  readonly id: string;
  readonly title: string;
  readonly type: 'candidate' | 'yesno';
  readonly voteFor: number;
  readonly partisan: boolean;
  /** Long text printed above a question's answers. */
  readonly description: string | null;
  readonly districtId: string;
  /** Set on a primary's party contest: only that party's ballots carry it. */
  readonly partyId: string | null;
  readonly options: readonly Option[];
  /** Number of write-in lines (0 for questions). */
  readonly writeIns: number;
  /** Dominion ids of the write-in "candidates", one per line. */
  readonly writeInDominionIds: readonly number[];
  readonly dominionId: number;
}

export interface District {
  readonly id: string;
  readonly name: string;
  readonly dominionId: number;
}

export interface Precinct {
  readonly id: string;
  readonly name: string;
  readonly externalId: string;
  readonly districtIds: readonly string[];
  readonly dominionId: number;
  /** One style in a general election; one per party in a primary. */
  readonly styleIds: readonly string[];
}

export interface BallotStyle {
  readonly id: string;
  /** 1-based number printed in the style code. */
  readonly number: number;
  readonly precinctIds: readonly string[];
  /** The party whose primary ballot this is; null for a general election's ballot. */
  readonly partyId: string | null;
  /** Contest ids in print order. */
  readonly contestIds: readonly string[];
  /** Candidate order per contest for this style (rotation). */
  readonly optionOrder: Readonly<Record<string, readonly string[]>>;
  readonly dominionId: number;
}

export interface Election {
  readonly id: string;
  readonly kind: 'general' | 'primary';
  readonly title: string;
  readonly jurisdiction: string;
  /** ISO date of election day. */
  readonly date: string;
  readonly seed: number;
  readonly parties: readonly Party[];
  readonly districts: readonly District[];
  readonly precincts: readonly Precinct[];
  readonly contests: readonly Contest[];
  readonly styles: readonly BallotStyle[];
}

const FIRST = ['Abigail', 'Benjamin', 'Clara', 'Daniel', 'Eleanor', 'Francis', 'Grace', 'Henry', 'Iris', 'Jonah', 'Katherine', 'Louis', 'Margaret', 'Nathan', 'Olive', 'Peter', 'Quinn', 'Rosa', 'Samuel', 'Theodora', 'Ulysses', 'Vera', 'Walter', 'Ximena', 'Yusuf', 'Zelda', 'Amos', 'Beatrice', 'Cyrus', 'Dolores', 'Ezra', 'Flora', 'Gideon', 'Hazel', 'Isaac', 'June', 'Kofi', 'Lena', 'Mateo', 'Noor'];
const LAST = ['Abbott', 'Bancroft', 'Chandler', 'Dunmore', 'Ellery', 'Fairbanks', 'Gilman', 'Hale', 'Ingram', 'Jewett', 'Kimball', 'Langdon', 'Merriam', 'Nutting', 'Osgood', 'Prescott', 'Quimby', 'Rollins', 'Sargent', 'Thornton', 'Underhill', 'Varney', 'Whitcomb', 'Yeaton', 'Zamora', 'Okafor', 'Nguyen', 'Castellanos', 'Haddad', 'Lindqvist', 'Moreau', 'Petrov', 'Tanaka', 'Silva', 'Kowalski', 'Brennan'];
const TOWNS = ['Ashford', 'Birch Hill', 'Cold River', 'Dunbarton', 'East Haven', 'Fox Run', 'Granite Falls', 'Harbor Point', 'Indian Lake', 'Juniper', 'Kettle Pond', 'Lamson', 'Mill Creek', 'North Weare', 'Old Orchard', 'Pine Ridge'];

const PARTIES: readonly Omit<Party, 'dominionId'>[] = [
  { id: 'party-dem', name: 'Democratic', abbrev: 'DEM' },
  { id: 'party-rep', name: 'Republican', abbrev: 'REP' },
  { id: 'party-lib', name: 'Libertarian', abbrev: 'LIB' },
  { id: 'party-grn', name: 'Green', abbrev: 'GRN' },
  { id: 'party-ind', name: 'Independent', abbrev: 'IND' },
];

const QUESTION_TEXT = [
  'Shall the state constitution be amended to require that any increase in the rate of the state income tax be approved by a two-thirds vote of each chamber of the legislature, with the amendment taking effect for tax years beginning after December 31 of next year?',
  'Shall the county be authorized to issue general obligation bonds in an amount not to exceed twelve million dollars for the purpose of renovating the county courthouse, replacing its heating and electrical systems, and making the building accessible to persons with disabilities?',
  'Shall the school district raise and appropriate the sum of four million five hundred thousand dollars for the construction and original equipping of an addition to the elementary school, and authorize the issuance of bonds or notes for that purpose?',
  'Shall there be a convention to amend or revise the constitution? A yes vote calls a convention of delegates elected by the voters; a no vote leaves the constitution as it is until amended by the legislature.',
];

export interface ElectionOptions {
  readonly seed: number;
  readonly precincts: number;
  /** A partisan primary: party contests and one ballot style per party and precinct. */
  readonly primary?: boolean;
}

/** Parties that hold a primary (each gets its own ballot style per precinct). */
export const PRIMARY_PARTIES = ['party-dem', 'party-rep'] as const;

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Builds a deterministic general election: the seed chooses names, sizes and district splits. */
export function makeElection(options: ElectionOptions): Election {
  const rng = Rng.derive(options.seed, 'election');
  const parties: Party[] = PARTIES.map((p, i) => ({ ...p, dominionId: i + 2 }));
  const usedNames = new Set<string>();
  const personName = (): string => {
    for (;;) {
      const name = `${rng.pick(FIRST)} ${rng.pick(LAST)}`;
      if (!usedNames.has(name)) {
        usedNames.add(name);
        return name;
      }
    }
  };

  const nPrecincts = Math.max(2, Math.min(12, options.precincts));
  const towns = rng.shuffle(TOWNS).slice(0, nPrecincts);
  const districts: District[] = [];
  const addDistrict = (id: string, name: string): string => {
    districts.push({ id, name, dominionId: districts.length + 1 });
    return id;
  };
  const county = addDistrict('district-county', 'Merrimack Valley County');
  const senate = [addDistrict('district-senate-1', 'State Senate District 1'), addDistrict('district-senate-2', 'State Senate District 2')];
  const house = [addDistrict('district-house-a', 'State House District A'), addDistrict('district-house-b', 'State House District B'), addDistrict('district-house-c', 'State House District C')];
  const school = addDistrict('district-school', 'Valley Regional School District');

  const precinctDistricts: string[][] = towns.map((_, i) => {
    const ds = [county, senate[i < nPrecincts / 2 ? 0 : 1] as string, house[i % 3] as string];
    if (i % 2 === 1) ds.push(school);
    return ds;
  });

  const contests: Contest[] = [];
  let candidateId = 100;
  let contestDominionId = 1;
  const majorParties = ['party-dem', 'party-rep'];
  const primary = options.primary === true;
  const addCandidateContest = (title: string, districtId: string, voteFor: number, nCandidates: number, partisan: boolean, writeIns: number): void => {
    // In a primary every partisan office becomes one contest per party, with that party's candidates.
    const variants: (string | null)[] = primary && partisan ? [...PRIMARY_PARTIES] : [null];
    for (const contestParty of variants) {
      const party = PARTIES.find((p) => p.id === contestParty);
      const fullTitle = party === undefined ? title : `${title} (${party.name})`;
      const count = contestParty === null ? nCandidates : Math.max(voteFor + 1, nCandidates - 1);
      const opts: Option[] = [];
      for (let i = 0; i < count; i++) {
        const partyId = contestParty ?? (partisan ? (i < 2 * voteFor ? (majorParties[i % 2] as string) : (PARTIES[2 + ((i - 2 * voteFor) % 3)]?.id ?? null)) : null);
        const name = title.startsWith('President') ? `${personName()} / ${personName().split(' ')[1] ?? ''}` : personName();
        opts.push({ id: `${slug(name)}-${candidateId}`, name, partyId, dominionId: candidateId++ });
      }
      const writeInDominionIds = Array.from({ length: writeIns }, () => candidateId++);
      contests.push({
        id: `contest-${slug(fullTitle)}`,
        title: fullTitle,
        type: 'candidate',
        voteFor,
        partisan,
        description: null,
        districtId,
        partyId: contestParty,
        options: opts,
        writeIns,
        writeInDominionIds,
        dominionId: contestDominionId++,
      });
    }
  };
  const addQuestion = (title: string, districtId: string, text: string): void => {
    const opts: Option[] = [
      { id: 'yes', name: 'Yes', partyId: null, dominionId: candidateId++ },
      { id: 'no', name: 'No', partyId: null, dominionId: candidateId++ },
    ];
    contests.push({ id: `contest-${slug(title)}`, title, type: 'yesno', voteFor: 1, partisan: false, description: text, districtId, partyId: null, options: opts, writeIns: 0, writeInDominionIds: [], dominionId: contestDominionId++ });
  };

  addCandidateContest('President and Vice President', county, 1, rng.int(4, 5), true, 1);
  addCandidateContest('United States Senator', county, 1, rng.int(3, 4), true, 1);
  addCandidateContest('Representative in Congress', county, 1, 3, true, 1);
  addCandidateContest('Governor', county, 1, rng.int(3, 4), true, 1);
  addCandidateContest('State Senator District 1', senate[0] as string, 1, 2, true, 1);
  addCandidateContest('State Senator District 2', senate[1] as string, 1, 3, true, 1);
  addCandidateContest('State Representatives District A', house[0] as string, 2, 5, true, 2);
  addCandidateContest('State Representatives District B', house[1] as string, 3, 6, true, 3);
  addCandidateContest('State Representative District C', house[2] as string, 1, 2, true, 1);
  addCandidateContest('Sheriff', county, 1, 2, true, 1);
  addCandidateContest('County Commissioners', county, 2, 4, true, 2);
  addCandidateContest('Judge of Probate', county, 1, 2, false, 0);
  addCandidateContest('School Board Members', school, 2, rng.int(4, 5), false, 2);
  addQuestion('Constitutional Amendment Question 1', county, QUESTION_TEXT[0] as string);
  addQuestion('County Question 2', county, QUESTION_TEXT[1] as string);
  addQuestion('School District Article 3', school, QUESTION_TEXT[2] as string);
  addQuestion('Constitutional Convention Question 4', county, QUESTION_TEXT[3] as string);
  // The school district's long warrant pushes its precincts' ballots onto a second card.
  addCandidateContest('School District Moderator', school, 1, 2, false, 1);
  addCandidateContest('Library Trustees', school, 3, 5, false, 3);
  addCandidateContest('Budget Committee', school, 2, 4, false, 2);
  for (let a = 4; a <= 9; a++) addQuestion(`School District Article ${a}`, school, QUESTION_TEXT[(a + 1) % 3] as string);

  // One style per precinct (per party in a primary): the precinct's districts pick the contests,
  // its index rotates candidates.
  const precincts: Precinct[] = [];
  const styles: BallotStyle[] = [];
  towns.forEach((town, i) => {
    const ds = precinctDistricts[i] as string[];
    const precinctId = `precinct-${slug(town)}`;
    const styleIds: string[] = [];
    for (const styleParty of primary ? [...PRIMARY_PARTIES] : [null]) {
      const party = PARTIES.find((p) => p.id === styleParty);
      const styleId = `style-${String(i + 1).padStart(2, '0')}${party === undefined ? '' : `-${party.abbrev.toLowerCase()}`}`;
      const contestIds = contests.filter((c) => ds.includes(c.districtId) && (c.partyId === null || c.partyId === styleParty)).map((c) => c.id);
      const optionOrder: Record<string, string[]> = {};
      for (const c of contests) {
        if (!contestIds.includes(c.id)) continue;
        const ids = c.options.map((o) => o.id);
        const shift = c.type === 'candidate' ? i % ids.length : 0;
        optionOrder[c.id] = [...ids.slice(shift), ...ids.slice(0, shift)];
      }
      const number = styles.length + 1;
      styles.push({ id: styleId, number, precinctIds: [precinctId], partyId: styleParty, contestIds, optionOrder, dominionId: number });
      styleIds.push(styleId);
    }
    precincts.push({
      id: precinctId,
      name: town,
      externalId: `${String(i + 1).padStart(2, '0')}-${String(100 + i * 10)}`,
      districtIds: ds,
      dominionId: i + 1,
      styleIds,
    });
  });

  // always in the past, so fixed file times never lie in the future
  const year = 2023 + (options.seed % 3);
  return {
    id: `sample-${options.seed}`,
    kind: primary ? 'primary' : 'general',
    title: primary ? `${year} State Primary Election` : `${year} General Election`,
    jurisdiction: 'Merrimack Valley County',
    date: `${year}-11-0${3 + (options.seed % 5)}`,
    seed: options.seed,
    parties,
    districts,
    precincts,
    contests,
    styles,
  };
}

export function contestById(election: Election, id: string): Contest {
  const c = election.contests.find((x) => x.id === id);
  if (c === undefined) throw new Error(`unknown contest ${id}`);
  return c;
}
