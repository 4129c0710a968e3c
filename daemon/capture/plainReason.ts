/** System error codes (ENOENT, EACCES, …) in words for a clerk; the code itself stays in the log. */
/** The reason in plain words (system error codes stay in the log and the alert's details). */
export function plainReason(code: string | undefined): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'the appliance is not allowed to read or write it';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'something that is not a folder is where a folder must be';
    case 'ENOENT':
      return 'a folder in its path does not exist';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full';
    case 'EROFS':
      return 'the disk is read-only';
    case 'EIO':
      return 'the disk reports read or write errors';
    default:
      return 'the system refused to use it';
  }
}
