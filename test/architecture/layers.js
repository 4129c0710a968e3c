// The daemon's layers from the bottom (#17 "Direction"): a folder under daemon/ may import its own
// layer and those below. One table for both checks that enforce it: test/architecture/imports.test.ts
// (the import graph) and eslint.config.js (eslint-plugin-boundaries), so they cannot disagree.
/** @type {Readonly<Record<string, number>>} */
export const layerOf = {
  core: 0,
  capture: 1,
  importer: 2, snapshot: 2,
  drives: 3, preaudit: 3, restore: 3, publish: 3, intake: 3, signer: 3,
  custody: 4,
  web: 5,
  runtime: 6, cli: 6,
};
