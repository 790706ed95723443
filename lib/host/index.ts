/** Host set-up for LVS clusters: forwarding, ARP, reverse-path filtering, IPVS sysctls. */
export { director, getIpvsSysctls, setIpvsSysctls } from './director';
export type { DirectorOptions, DirectorStatus, DirectorStatusOptions, RedirectStatus } from './director';
export { drRealServer, tunRealServer } from './real-server';
export type { DrRealServerOptions, TunRealServerOptions, RealServerRecord, RealServerStatus, InterfaceStatus } from './real-server';
export { undoChanges } from './changes';
export type { HostOptions, UndoRecord } from './changes';
export { IPVS_SYSCTLS } from './settings';
export type { IpvsSysctls, IpvsSysctlName, SettingChange } from './settings';
export { vip } from './vip';
export type { VipOptions, VipRecord, VipStatus } from './vip';
export { defaultRoute, natRealServer } from './default-route';
export type {
  DefaultRoute, DefaultRouteOptions, DefaultRouteRecord, DefaultRouteStatus, NatRealServerOptions, NatRealServerRecord, NatRealServerStatus,
} from './default-route';
