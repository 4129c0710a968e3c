/**
 * Which ballot style each CVR ballot type is printed as, learned from the sheets whose printed code
 * was read (pure: no db). A printed style belongs to one ballot type (its code is the type's); a
 * type may print several styles (one per card of a multi-card ballot). A sheet whose CVR names
 * another type than most sheets printed like it disagrees with the CVR: the image and the record
 * may not be the same ballot, and it must not be read as if they agreed. A type is used for a sheet
 * whose code was not read only when the agreeing sheets show it prints exactly one style.
 */

export interface TypedSheet {
  readonly sheetKey: string;
  /** The CVR's ballot type (Dominion BallotTypeId). */
  readonly ballotType: string;
  readonly styleId: string;
}

export interface StyleDisagreement {
  readonly sheetKey: string;
  /** The type the sheet's CVR names. */
  readonly ballotType: string;
  /** The style the sheet's code was read as. */
  readonly styleId: string;
  /** The type most sheets printed as this style name; null when no type has most of them. */
  readonly styleType: string | null;
  /** Sheets read as this style with a CVR type. */
  readonly styleSheets: number;
}

export interface BallotTypeStyles {
  /** Ballot type → style, for the types that print one style only. */
  readonly styleOf: ReadonlyMap<string, string>;
  /** Sheets whose CVR names another type than most sheets printed like them (or a style split evenly between types). */
  readonly disagreeing: readonly StyleDisagreement[];
}

/** `sheets`: only sheets whose style was known from their printed code. */
export function ballotTypeStyles(sheets: readonly TypedSheet[]): BallotTypeStyles {
  const byStyle = groupBy(sheets, (s) => s.styleId);
  const disagreeing: StyleDisagreement[] = [];
  const agreeing: TypedSheet[] = [];
  for (const [styleId, of] of byStyle) {
    const types = groupBy(of, (s) => s.ballotType);
    // More than half of the style's sheets: the type it is printed for; the others disagree.
    const most = types.size === 1 ? of[0]!.ballotType : ([...types].find(([, t]) => 2 * t.length > of.length)?.[0] ?? null);
    for (const s of of) {
      if (s.ballotType === most) agreeing.push(s);
      else disagreeing.push({ sheetKey: s.sheetKey, ballotType: s.ballotType, styleId, styleType: most, styleSheets: of.length });
    }
  }
  const styleOf = new Map<string, string>();
  for (const [ballotType, of] of groupBy(agreeing, (s) => s.ballotType)) {
    const styles = new Set(of.map((s) => s.styleId));
    if (styles.size === 1) styleOf.set(ballotType, of[0]!.styleId);
  }
  return { styleOf, disagreeing };
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of items) out.set(key(t), [...(out.get(key(t)) ?? []), t]);
  return out;
}
