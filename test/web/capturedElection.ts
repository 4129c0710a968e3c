/**
 * A generated election captured and imported as the daemon would: a folder appliance in `root`
 * watching the export's vendor folder (`export/dominion` unless told otherwise, e.g. `export/ess`
 * and `export/eif` for an ES&S election), its files captured into the vault and the CVRs imported;
 * the web config listens on any free port.
 */
import { expect } from 'vitest';
import { CaptureService } from '../../daemon/capture/captureService.ts';
import { dataPaths, parseConfig, type Config } from '../../daemon/core/config.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { importPendingCatalogFiles } from '../../daemon/importer/service.ts';
import { openStateDatabase, type Db } from '../../daemon/runtime/stateDatabase.ts';

export interface CapturedElectionOptions {
  /** The watched folders, relative to `root`. */
  roots?: { label: string; path: string }[];
}

export async function capturedElection(root: string, options: CapturedElectionOptions = {}): Promise<{ config: Config; web: Config; db: Db }> {
  const roots = options.roots ?? [{ label: 'dominion-export', path: 'export/dominion' }];
  const config: Config = assertOk(
    parseConfig(
      { election: { name: 't', title: 'Sample County General Election' }, dataDir: 'var', roots, drives: { mode: 'folders', a: 'drive-a', b: 'drive-b' }, log: { level: 'silent' } },
      root,
    ),
  );
  const web = { ...config, web: { ...config.web, port: 0 } };
  const db = openStateDatabase(dataPaths(config).database);
  const capture = new CaptureService({ config, db, logger: silentLogger() });
  await capture.scanAll();
  await capture.settle(10_000);
  expect((await importPendingCatalogFiles(db, dataPaths(config).vault, silentLogger())).failures).toEqual([]);
  return { config, web, db };
}
