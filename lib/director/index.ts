/** The director agent: config + apply + health checks + drift repair + metrics, as a class (docs/director.md). */
export { Director } from './director';
export { formatJson, formatText } from './log';
export type * from './types';
