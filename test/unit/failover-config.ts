/** The config file the failover unit tests start from: one checked service and VRRP instance VI_1 on eth0. */
import { parseConfig } from '../../lib';
import type { ConfigFile } from '../../lib/config/desired';

export const TRACK_SERVICE = ['track:', '  - service: tcp 203.0.113.10:80', '    weight: -60'];

/**
 * `extra`: more lines of VI_1; `more`: more instances (YAML text); `sync`: the sync daemons on eth1, driven by VI_1,
 * switched with its state ('follow', which these tests watch) or the default plan ('default').
 */
export function failoverConfig(priority: number, { extra = [] as string[], more = '', sync = 'follow' as 'follow' | 'default' | false } = {}): ConfigFile {
  return parseConfig([
    'services:',
    '  - service: tcp 203.0.113.10:80',
    '    forwarding: route',
    '    health: { type: tcp }',
    '    quorum: { min: 1 }',
    '    destinations:',
    '      - server: 198.51.100.1',
    'vrrp:',
    '  instances:',
    '    - name: VI_1',
    '      interface: eth0',
    '      vrid: 51',
    `      priority: ${priority}`,
    '      interval: 1s',
    '      vips: [203.0.113.10]',
    ...extra.map((l) => `      ${l}`),
    more,
    ...(sync ? ['  sync:', '    interface: eth1', '    instance: VI_1', ...(sync === 'follow' ? ['    mode: follow'] : [])] : []),
  ].join('\n'), { format: 'yaml' });
}
