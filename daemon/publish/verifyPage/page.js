// The offline verification page's script (bundled with @noble into verify.html by buildPage.ts).
// Runs from file:// with no network: everything it checks is read from the files the user picks.
import { blake2b } from '@noble/hashes/blake2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
  alignPaths,
  asBrowserSees,
  compareWithManifest,
  keyIdText,
  parsePublicKey,
  parseSha256sum,
  parseSignature,
  parseStatement,
  statementFileNames as names,
} from '../statementFormat.ts';

const $ = (id) => document.getElementById(id);
const text = (bytes) => new TextDecoder().decode(bytes);
const hex = (bytes) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
const subtle = globalThis.crypto?.subtle;
const plural = (n, one, many) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** What was checked: set once the publication's signature held. */
let publication = null;

function say(box, kind, lines) {
  const el = $(box);
  el.className = `verdict ${kind}`;
  el.replaceChildren(...lines.map((l, i) => Object.assign(document.createElement(i === 0 ? 'strong' : 'p'), { textContent: l })));
  el.scrollIntoView?.({ block: 'nearest' });
}

async function ed25519Verify(signature, message, publicKey) {
  if (subtle !== undefined) {
    try {
      const key = await subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
      return { ok: await subtle.verify({ name: 'Ed25519' }, key, signature, message), how: "the browser's own Ed25519" };
    } catch {
      // Older browsers have no Ed25519 in WebCrypto: use the library built into this page.
    }
  }
  return { ok: ed25519.verify(signature, message, publicKey, { zip215: false }), how: 'the Ed25519 library built into this page' };
}

async function sha256Hex(bytes) {
  if (subtle !== undefined) return hex(await subtle.digest('SHA-256', bytes));
  return hex(sha256(bytes));
}

/** Large files are hashed piece by piece, so a multi-gigabyte file does not need that much memory. */
async function sha256File(file) {
  if (subtle !== undefined && file.size <= 256 * 1024 * 1024) return hex(await subtle.digest('SHA-256', await file.arrayBuffer()));
  const h = sha256.create();
  const reader = file.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    h.update(value);
  }
  return hex(h.digest());
}

function byName(files) {
  const map = new Map();
  for (const f of files) map.set(f.name, f);
  return map;
}

/** Key typed by the user: a whole public key, a key id, or nothing. */
function typedKey() {
  const raw = $('key').value.trim();
  if (raw === '') return { kind: 'none' };
  if (/^[0-9a-fA-F]{16}$/.test(raw)) return { kind: 'id', id: raw.toUpperCase() };
  const key = parsePublicKey(raw);
  return key === undefined ? { kind: 'bad' } : { kind: 'key', key };
}

async function checkPublication(files) {
  publication = null;
  $('folder-result').className = 'verdict hidden';
  const got = byName(files);
  const missing = [names.statement, names.signature, names.releaseManifest, names.driveManifest].filter((n) => !got.has(n));
  if (missing.length > 0) return say('bundle-result', 'bad', ['The publication is not complete.', `Missing: ${missing.join(', ')}. Pick every file of the publication you downloaded.`]);
  const statementBytes = new Uint8Array(await got.get(names.statement).arrayBuffer());
  const statement = parseStatement(text(statementBytes));
  if (typeof statement === 'string') return say('bundle-result', 'bad', ['This is not a ballotsafe publication.', `statement.txt: ${statement}.`]);
  const signature = parseSignature(await got.get(names.signature).text());
  if (typeof signature === 'string') return say('bundle-result', 'bad', ['NOT GENUINE: the signature cannot be read.', `statement.txt.minisig: ${signature}. Do not trust this publication.`]);

  const typed = typedKey();
  if (typed.kind === 'bad') return say('bundle-result', 'bad', ['The key you typed is not a public key or key id.', 'Type the line starting with "RW" from the county’s published key, or its 16-character key id.']);
  const bundled = got.has(names.publicKey) ? parsePublicKey(await got.get(names.publicKey).text()) : undefined;
  const key = typed.kind === 'key' ? typed.key : bundled;
  if (key === undefined) return say('bundle-result', 'bad', ['No public key to check with.', 'Type the county’s published public key (the line starting with "RW") in the box above.']);
  const keyId = keyIdText(key.keyId);
  if (typed.kind === 'id' && typed.id !== keyId) return say('bundle-result', 'bad', ['NOT THE PUBLISHED KEY.', `This publication comes with key ${keyId}, not the key id ${typed.id} you typed. Do not trust it.`]);
  if (keyIdText(signature.keyId) !== keyId) return say('bundle-result', 'bad', ['NOT GENUINE: signed by another key.', `The statement is signed by key ${keyIdText(signature.keyId)}, not by ${keyId}. Do not trust this publication.`]);

  const message = signature.prehashed ? blake2b(statementBytes) : statementBytes;
  const sig = await ed25519Verify(signature.signature, message, key.raw);
  const trusted = new TextEncoder().encode(signature.trustedComment);
  const global = sig.ok ? await ed25519Verify(signature.globalSignature, new Uint8Array([...signature.signature, ...trusted]), key.raw) : { ok: false };
  if (!sig.ok || !global.ok) return say('bundle-result', 'bad', ['NOT GENUINE: the signature does not match the statement.', 'The statement was changed after it was signed, or signed by someone else. Do not trust this publication.']);
  const expected = `ballotsafe publication election:${statement.election} snapshot:${statement.snapshot} root:${statement.rootHash}`;
  if (signature.trustedComment !== expected) return say('bundle-result', 'bad', ['NOT GENUINE: the signature belongs to another statement.', 'Do not trust this publication.']);
  if (statement.keyId !== keyId) return say('bundle-result', 'bad', ['The statement names another key.', `It says key ${statement.keyId}, but it is signed by ${keyId}.`]);

  const manifests = {};
  for (const name of [names.releaseManifest, names.driveManifest]) {
    const bytes = new Uint8Array(await got.get(name).arrayBuffer());
    if ((await sha256Hex(bytes)) !== statement.files.get(name)) return say('bundle-result', 'bad', [`${name} was changed after the statement was signed.`, 'Download the publication again from the county.']);
    manifests[name] = asBrowserSees(parseSha256sum(text(bytes)).entries);
  }
  const root = $('root').value.trim().toLowerCase().replace(/\s+/g, '');
  if (root !== '' && root !== statement.rootHash) return say('bundle-result', 'bad', ['The root hash you typed is not this publication’s.', `This publication is for root hash ${statement.rootHash}. Check you have the right snapshot.`]);

  publication = { statement, manifests };
  const lines = [
    `Genuine: election “${statement.election}”, snapshot ${statement.snapshot}, taken ${statement.taken}.`,
    `Root hash ${statement.rootHash}${root === '' ? '' : ' — the same as the one you typed'}.`,
    `${plural(manifests[names.releaseManifest].size, 'file', 'files')} in the export. Checked with ${sig.how}.`,
  ];
  if (typed.kind === 'key') return say('bundle-result', 'good', [...lines, `Signed by the public key you typed (key id ${keyId}).`]);
  const idNote = typed.kind === 'id' ? `Signed by the key that came with it, whose key id ${keyId} is the one you typed. To be sure, type the whole public key instead.` : `Signed by the key that came with it, key id ${keyId}: compare it with the key id the county published, or type the county’s public key above.`;
  say('bundle-result', 'warn', [...lines, idNote]);
}

async function checkFolder(files) {
  if (publication === null) return say('folder-result', 'bad', ['Check the publication first.', 'Pick the publication’s files in step 1; then pick the folder again.']);
  const paths = files.map((f) => f.path);
  const release = publication.manifests[names.releaseManifest];
  const drive = publication.manifests[names.driveManifest];
  const score = (m) => {
    const aligned = alignPaths(paths, m);
    return { aligned, n: [...aligned.values()].filter((p) => m.has(p)).length };
  };
  const [r, d] = [score(release), score(drive)];
  const isDrive = d.n > r.n;
  const manifest = isDrive ? drive : release;
  const aligned = isDrive ? d.aligned : r.aligned;
  const at = (f) => aligned.get(f.path) ?? f.path;
  const todo = files.filter((f) => manifest.has(at(f)));
  const total = todo.reduce((n, f) => n + f.file.size, 0);
  const hashed = new Map();
  for (const f of files) if (!manifest.has(at(f))) hashed.set(at(f), '');
  let done = 0;
  let bytes = 0;
  $('progress').hidden = false;
  // A few files at a time: the browser hashes off the page's thread, so reading and hashing overlap.
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const f = todo[next++];
      hashed.set(at(f), await sha256File(f.file));
      done += 1;
      bytes += f.file.size;
      $('progress-text').textContent = `Checked ${plural(done, 'file', 'files')} of ${todo.length.toLocaleString('en-US')}…`;
      $('progress-bar').value = total === 0 ? 1 : bytes / total;
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  $('progress-bar').value = 1;
  $('progress-text').textContent = `Checked ${plural(done, 'file', 'files')}.`;
  const c = compareWithManifest(manifest, hashed, isDrive);
  const what = isDrive ? 'drive folder' : 'export folder';
  const list = (label, items, why) => (items.length === 0 ? [] : [`${label} (${items.length}): ${why}`, ...items.slice(0, 200).map((p) => `  ${p}`), ...(items.length > 200 ? [`  … and ${items.length - 200} more`] : [])]);
  const problems = [
    ...list('Changed', c.changed, 'the contents differ from what was published'),
    ...list('Missing', c.missing, 'published, but not in the folder you picked'),
    ...list('Extra', c.extra, 'in the folder, but not in the publication'),
  ];
  const note = c.notCovered.length === 0 ? [] : [`${plural(c.notCovered.length, 'file', 'files')} on the drive belong to later snapshots or to the drive’s own records; this publication does not cover them.`];
  if (problems.length === 0 && c.matched.length > 0) {
    return say('folder-result', 'good', [`All ${plural(c.matched.length, 'file matches', 'files match')} the publication.`, `This ${what} holds exactly the published files of snapshot ${publication.statement.snapshot}.`, ...note]);
  }
  say('folder-result', 'bad', [`This ${what} does NOT match the publication.`, `${plural(c.matched.length, 'file matches', 'files match')}.`, ...problems, ...note]);
}

/** Files under a dropped folder, with paths like the folder picker gives. */
async function droppedFiles(items) {
  const out = [];
  const walk = async (entry) => {
    if (entry.isFile) {
      const file = await new Promise((res, rej) => entry.file(res, rej));
      out.push({ path: entry.fullPath.replace(/^\//, ''), file });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
        if (batch.length === 0) break;
        for (const e of batch) await walk(e);
      }
    }
  };
  for (const entry of [...items].map((i) => i.webkitGetAsEntry?.()).filter(Boolean)) await walk(entry);
  return out;
}

function wire() {
  let bundle = [];
  const fromPicker = (input) => [...input.files].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
  const runBundle = () => checkPublication(bundle).catch((e) => say('bundle-result', 'bad', ['The publication could not be read.', String(e)]));
  const runFolder = (files) => checkFolder(files).catch((e) => say('folder-result', 'bad', ['The folder could not be read.', String(e)]));
  $('bundle').addEventListener('change', () => {
    bundle = [...$('bundle').files];
    runBundle();
  });
  $('key').addEventListener('change', () => bundle.length > 0 && runBundle());
  $('root').addEventListener('change', () => bundle.length > 0 && runBundle());
  $('folder').addEventListener('change', () => runFolder(fromPicker($('folder'))));
  const zone = $('drop');
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', async (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    runFolder(await droppedFiles(e.dataTransfer.items));
  });
}

wire();
