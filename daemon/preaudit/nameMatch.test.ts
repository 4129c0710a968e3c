import { describe, expect, it } from 'vitest';
import { isShortening, textTowardName } from './nameMatch.ts';
import { headingSimilarity, nameSimilarity, titleSimilarity } from './ocr.ts';

const ACCEPT = 0.75; // ocr.ts: a name is placed from this similarity (and a margin over the next)

describe('names matched through abbreviations, punctuation, party labels and two languages', () => {
  it('reads shortened words as the name\'s words', () => {
    expect(nameSimilarity('Reg. of Deeds', 'Register of Deeds')).toBe(1);
    expect(nameSimilarity('Cnty. Commissioner', 'County Commissioner')).toBe(1);
    expect(nameSimilarity('Regist of Deeds', 'Register of Deeds')).toBe(1);
    // letters OCR makes up without a stop are not taken for a shortening
    expect(textTowardName('cnt co', 'County Commissioners')).toBe('cnt co');
    expect(nameSimilarity('Sheriff (Hillsb. Cnty.)', 'Sheriff Hillsborough County')).toBeGreaterThanOrEqual(ACCEPT);
    expect(isShortening('reg', 'register')).toBe(true);
    expect(isShortening('cnty', 'county')).toBe(true);
    expect(isShortening('ctny', 'county')).toBe(false);
    expect(isShortening('deeds', 'deeds')).toBe(false);
  });

  it('drops party labels the name does not have', () => {
    expect(nameSimilarity('Jane Roe (DEM)', 'Jane Roe')).toBe(1);
    expect(nameSimilarity('Rep Jane Roe', 'Jane Roe')).toBe(1);
    expect(nameSimilarity('Jane Roe Republican', 'Jane Roe (REP)')).toBe(1);
    expect(textTowardName("O'Brien-Smith, Pat (D)", "Pat O'Brien-Smith")).toBe('o brien smith pat');
    // a surname that is also a party's name stays
    expect(nameSimilarity('Mary Green', 'Mary Green')).toBe(1);
    expect(nameSimilarity('Mary (GRN)', 'Mary Green')).toBeLessThan(ACCEPT);
  });

  it('matches a heading printed in two languages by either', () => {
    expect(headingSimilarity('Governor / Gobernador', 'Governor')).toBe(1);
    expect(headingSimilarity('Gobernador', 'Governor / Gobernador')).toBe(1);
    expect(titleSimilarity('Question 2 / Pregunta 2', 'Question 2')).toBe(1);
  });

  it('does not split a ticket\'s names at the slash', () => {
    expect(nameSimilarity('Beatrice Rollins Democratic', 'Jonah Ellery / Rollins')).toBeLessThan(ACCEPT);
  });

  it('still tells different names and numbers apart', () => {
    expect(nameSimilarity('Reg. of Probate', 'Register of Deeds')).toBeLessThan(ACCEPT);
    expect(nameSimilarity('John Smith', 'John Mann')).toBeLessThan(ACCEPT);
    expect(titleSimilarity('Question 3', 'Question 2')).toBeLessThan(ACCEPT);
    // a shortening fits two names equally: both score alike, so the matcher's margin leaves it to a person
    expect(nameSimilarity('Sam. Adams', 'Samuel Adams')).toBe(nameSimilarity('Sam. Adams', 'Samantha Adams'));
  });
});
