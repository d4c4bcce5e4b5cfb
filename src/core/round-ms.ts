/**
 * Every latency and duration a command prints in --json goes through here: milliseconds (and
 * seconds) to 3 decimals, so `7.644710000000032` reads `7.645` (a microsecond is the finest any
 * of them is measured to). Pure.
 */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Seconds to the millisecond. */
export function roundS(s: number): number {
  return Math.round(s * 1000) / 1000;
}
