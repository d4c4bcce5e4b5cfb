/**
 * How `ledger bench --clients N` splits one run over N client processes: client i (0-based)
 * takes requests i, i + N, i + 2N, … of the one seeded request stream, so the N together send
 * exactly the requests one client would (in another order), and an equal share of the requests
 * in flight.
 */

/** Client i's share of `total` among n: the counts differ by at most one and add up to total. */
export function shareOf(total: number, i: number, n: number): number {
  return Math.floor(total / n) + (i < total % n ? 1 : 0);
}

/** Every n-th item of `next`'s stream, starting at item i. */
export function strided<T>(next: () => T, i: number, n: number): () => T {
  let skip = i;
  return () => {
    for (; skip > 0; skip--) next();
    skip = n - 1;
    return next();
  };
}
