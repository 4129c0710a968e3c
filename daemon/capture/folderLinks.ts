import type { NewAlert } from '../core/state/alerts.ts';

/**
 * A folder that held captured files and is now a symlink: an attack from the export share (a link
 * to the appliance's own data, its signing key) or a careless admin. Capture records the link,
 * never follows it, and reports the folder's captured files gone (their versions stay in the vault).
 */
export function folderBecameLinkAlert(rootLabel: string, folder: string, target: string | undefined): NewAlert & { subject: string } {
  return {
    severity: 'critical',
    code: 'folder-became-link',
    subject: `${rootLabel}:${folder}/`,
    message: `The folder "${folder}" in "${rootLabel}" was replaced by a link${target === undefined ? '' : ` to "${target}"`}. ballotsafe never reads through such links, so nothing was taken from where it points; the files captured from the folder are kept in the vault.`,
    action: 'Find out who replaced the folder. An export folder should never turn into a link; treat this as a possible attack on the appliance.',
    details: { folder, ...(target === undefined ? {} : { target }) },
  };
}
