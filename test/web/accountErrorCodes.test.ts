import { describe, expect, it } from 'vitest';
import { openStateDatabase } from '../../daemon/runtime/stateDatabase.ts';
import { Accounts } from '../../daemon/web/accounts.ts';

/** Issue #17 item 3: account changes fail with the codes their type names; a misspelt code does not compile. */
describe('typed error codes (accounts)', () => {
  it('a refused account change carries one of the codes its type declares', async () => {
    const db = openStateDatabase(':memory:');
    try {
      const accounts = new Accounts(db);
      const bad = await accounts.addUser('-no', 'operator', 'a long enough password 1');
      expect(bad.ok ? null : bad.error.code).toBe('user-name-invalid');
      const unknown = accounts.setDisabled('nobody', true);
      expect(unknown.ok ? null : unknown.error.code).toBe('user-unknown');
      const weak = await accounts.setPassword('nobody', 'x');
      // @ts-expect-error -- 'user-unknwon' is not an AccountErrorCode: tsc fails here if the union is lost
      expect(!weak.ok && weak.error.code === 'user-unknwon').toBe(false);
      expect(weak.ok ? null : weak.error.code).toBe('user-unknown');
    } finally {
      db.close();
    }
  });
});
