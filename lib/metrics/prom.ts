/** prom-client (32 modules and OpenTelemetry's 51) loads when metrics are made, not with the library. */
import type * as PromClient from 'prom-client';

let promModule: typeof PromClient | undefined;
export const prom = (): typeof PromClient => (promModule ??= require('prom-client') as typeof PromClient);
