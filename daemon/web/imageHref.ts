/**
 * Where the browser gets a ballot picture: a catalog file by its id (and page), or for a sheet
 * inside a captured ES&S export zip the zip's id and the member's name (routes/preaudit.tsx).
 */
export function ballotImageHref(imageId: number, page: number, member?: string): string {
  const query = [...(page === 0 ? [] : [`page=${page}`]), ...(member === undefined ? [] : [`member=${encodeURIComponent(member)}`])];
  return `/api/images/${imageId}${query.length === 0 ? '' : `?${query.join('&')}`}`;
}
