/**
 * RFC 5798 §6.1's derived timers. Computed in whole microseconds with integer division, as
 * keepalived does (VRRP_TIMER_SKEW over master_adver_int in µs), so both agree to the microsecond;
 * returned in milliseconds.
 */

/** Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256; interval in centiseconds, result in ms. */
export function skewTimeMs(priority: number, masterAdverIntervalCs: number): number {
  return Math.floor(((256 - priority) * masterAdverIntervalCs * 10_000) / 256) / 1000;
}

/** Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time, in ms. */
export function masterDownIntervalMs(priority: number, masterAdverIntervalCs: number): number {
  return (3 * masterAdverIntervalCs * 10_000 + Math.floor(((256 - priority) * masterAdverIntervalCs * 10_000) / 256)) / 1000;
}
