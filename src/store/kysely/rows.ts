/** Rows an UPDATE or DELETE touched: the answer to "did this guarded statement win?". */
export function changedRows(result: { numUpdatedRows?: bigint; numDeletedRows?: bigint } | undefined): number {
  return Number(result?.numUpdatedRows ?? result?.numDeletedRows ?? 0n);
}
