/** A keyset cursor on (createdAt, id): the last row of the previous page, newest-first order. */
export interface CreatedCursor {
  createdAt: Date;
  id: string;
}

/**
 * The `where` fragment for rows strictly after `before` in (createdAt desc, id desc) order. The id breaks
 * ties between rows created in the same millisecond, so no row is skipped or shown twice across pages.
 */
export function olderThan(before: CreatedCursor | undefined) {
  return before
    ? {
        OR: [{ createdAt: { lt: before.createdAt } }, { createdAt: before.createdAt, id: { lt: before.id } }],
      }
    : {};
}
