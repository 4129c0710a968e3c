import { describe, expect, it } from 'vitest';
import { hasCode, operatorError, type OperatorError } from '../core/result.ts';
import { loginWrong, userDisabled, type LoginErrorCode } from './accounts.ts';

describe('typed error codes (login)', () => {
  it('a login error holds only the codes a login can fail with; a misspelt comparison does not compile', () => {
    const seen: OperatorError<LoginErrorCode>[] = [loginWrong, userDisabled];
    const codes = seen.map((e) => e.code);
    expect(codes).toEqual(['login-wrong', 'user-disabled']);
    // @ts-expect-error -- 'login-bussy' is not a LoginErrorCode: tsc fails here if the union is lost
    expect(seen.some((e) => e.code === 'login-bussy')).toBe(false);
  });

  it('hasCode narrows an error of any module to one code', () => {
    const e: OperatorError = operatorError('login-busy', 'Many people are logging in.', 'Try again in a moment.');
    expect(hasCode(e, 'login-busy')).toBe(true);
    expect(hasCode(e, 'login-wrong')).toBe(false);
    if (hasCode(e, 'login-busy')) {
      const narrowed: OperatorError<'login-busy'> = e;
      expect(narrowed.code).toBe('login-busy');
    }
  });
});
