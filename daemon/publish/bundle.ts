import { createHash } from 'node:crypto';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import { planRestore } from '../restore/restorePlan.ts';
import type { Signer } from '../core/signing.ts';
import { keyIdHex, publicKeyFile } from '../snapshot/minisign.ts';
import { buildVerifyPage } from './buildPage.ts';
import { buildPublication } from './publication.ts';
import type { PublishSource } from './sources.ts';
import { statementFileNames as names } from './statementFormat.ts';

/**
 * The files of one snapshot's publication, in write order: the signature comes last, so a
 * publication cut short has no signature and cannot pass for a whole one.
 */

export interface Bundle {
  readonly election: string;
  readonly sequence: number;
  readonly rootHash: string;
  readonly keyId: string;
  readonly releaseFiles: number;
  readonly files: ReadonlyArray<readonly [name: string, content: Buffer]>;
}

export async function makeBundle(source: PublishSource, sequence: number | undefined, signer: Signer, timeZone: string): Promise<Result<Bundle>> {
  const wanted = sequence ?? source.chain[source.chain.length - 1]?.sequence;
  const upTo = source.chain.findIndex((s) => s.sequence === wanted);
  if (upTo < 0) {
    return err(operatorError('publish-no-such-snapshot', `There is no snapshot ${wanted ?? '?'}; there are snapshots ${source.chain.map((s) => s.sequence).join(', ') || 'none'}.`, 'Give one of those numbers, or leave the snapshot number out for the newest.'));
  }
  const chain = source.chain.slice(0, upTo + 1);
  const plan = planRestore(
    chain.map((s) => ({ electionDir: '', bagName: s.bagName, sequence: s.sequence, rootHash: s.rootHash, records: s.records })),
    wanted,
  );
  if (!plan.ok) return plan;
  const page = await buildVerifyPage();
  const keyId = keyIdHex(signer.keyId);
  const publication = buildPublication({
    election: source.election,
    chain,
    release: plan.value.files,
    keyIdHex: keyId,
    timeZone,
    pageSha256: createHash('sha256').update(page).digest('hex'),
  });
  const signature = await signer.sign(publication.statement, publication.trustedComment);
  if (!signature.ok) return signature;
  const last = plan.value.snapshot;
  return ok({
    election: source.election,
    sequence: last.sequence,
    rootHash: last.rootHash,
    keyId,
    releaseFiles: plan.value.files.length,
    files: [
      [names.releaseManifest, publication.releaseManifest],
      [names.driveManifest, Buffer.from(publication.driveManifest)],
      [names.page, Buffer.from(page)],
      [names.publicKey, Buffer.from(publicKeyFile(signer))],
      [names.statement, Buffer.from(publication.statement)],
      [names.signature, Buffer.from(signature.value)],
    ],
  });
}
