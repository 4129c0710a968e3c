import JSZip from 'jszip';
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db/database.ts';
import { ok, type Result } from '../core/result.ts';
import type { Signer } from '../core/signing.ts';
import { parsePublicKeyFile, publicKeyFile } from '../snapshot/minisign.ts';
import { makeBundle } from './bundle.ts';
import { snapshotsFromDatabase } from './sources.ts';

/** The snapshot page's "Download the publication": the same bundle as `ballotsafe publish vault`, as one ZIP. */
export interface PublicationProvider {
  zip(sequence: number): Promise<Result<{ readonly fileName: string; readonly content: Buffer }>>;
}

/** `signer` is asked for on first use (the daemon's: the signing service, or the demo's own key). */
export function publicationFromDatabase(db: Db, config: Config, signerOf: () => Signer): PublicationProvider {
  let signer: Signer | undefined;
  return {
    async zip(sequence) {
      signer ??= signerOf();
      const key = parsePublicKeyFile(publicKeyFile(signer));
      if (key === undefined) throw new Error('the signer gave a public key that does not parse');
      const source = snapshotsFromDatabase(db, config.election.name, key);
      if (!source.ok) return source;
      const bundle = await makeBundle(source.value, sequence, signer, Intl.DateTimeFormat().resolvedOptions().timeZone);
      if (!bundle.ok) return bundle;
      const folder = `${bundle.value.election}-snapshot-${bundle.value.sequence}-publication`;
      const zip = new JSZip();
      // Fixed dates: the same snapshot always gives the same ZIP.
      for (const [name, content] of bundle.value.files) zip.file(`${folder}/${name}`, content, { date: new Date(Date.UTC(2000, 0, 1)) });
      const content = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
      return ok({ fileName: `${folder}.zip`, content });
    },
  };
}
