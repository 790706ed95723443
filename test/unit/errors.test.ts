/** Error mapping: errno names kept exactly, one message per (operation, code). */
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { IpvsError, IpvsRulesError, IpvsValidationError, STAGE_NOT_SENT, STAGE_QUEUED, clip, errnoName, show } from '../../lib/errors';

const { errno } = constants;
const svc = 'service tcp 192.0.2.1:80';
const dest = 'destination 198.51.100.1:80 of service tcp 192.0.2.1:80';

describe('errno names', () => {
  it('keeps ESRCH and ENOENT apart, and names the Linux aliases as people know them', () => {
    expect(errnoName(errno.ESRCH)).toBe('ESRCH');
    expect(errnoName(errno.ENOENT)).toBe('ENOENT');
    expect(errnoName(errno.EAGAIN)).toBe('EAGAIN');
    expect(errnoName(95)).toBe('EOPNOTSUPP');
    expect(errnoName(4242)).toBe('E4242');
  });
});

describe('messages', () => {
  it.each<[string, number, Partial<ConstructorParameters<typeof IpvsError>[1]>, string]>([
    ['add an existing service', errno.EEXIST, { operation: 'addService', object: svc }, `${svc} already exists`],
    ['add an existing destination', errno.EEXIST, { operation: 'addDestination', object: dest }, `${dest} already exists`],
    ['a missing service', errno.ESRCH, { operation: 'deleteService', object: svc }, `${svc} does not exist`],
    ['a destination of a missing service', errno.ESRCH, { operation: 'addDestination', object: dest }, `${svc} does not exist`],
    ['a missing destination', errno.ENOENT, { operation: 'deleteDestination', object: dest }, `${dest} does not exist`],
    ['a missing scheduler', errno.ENOENT, { operation: 'addService', object: svc, scheduler: 'foo' }, "scheduler 'foo' (module ip_vs_foo) is not available in this kernel"],
    ['no IPVS', errno.ENOENT, { operation: 'open', object: 'the IPVS family', stage: 'resolving the IPVS generic netlink family' }, 'IPVS is not available in this kernel: the generic netlink family "IPVS" does not exist. Load the module with `modprobe ip_vs` (and the schedulers you use, e.g. `modprobe ip_vs_rr`), or run inside the node-ipvs sandbox kernel (`node-ipvs sandbox -- CMD`)'],
    ['a missing namespace', errno.ENOENT, { operation: 'open', object: 'namespace /run/netns/x', netns: '/run/netns/x', stage: 'opening network namespace /run/netns/x' }, 'network namespace /run/netns/x does not exist'],
    ['no privilege', errno.EPERM, { operation: 'listServices', object: 'all services' }, 'listServices on all services was refused: IPVS needs CAP_NET_ADMIN in the initial user namespace'],
    ['daemon running', errno.EEXIST, { operation: 'startDaemon', object: 'master sync daemon' }, 'master sync daemon is already running'],
    ['daemon not running', errno.ESRCH, { operation: 'stopDaemon', object: 'backup sync daemon' }, 'backup sync daemon is not running'],
    ['no interface', errno.ENODEV, { operation: 'startDaemon', object: 'master sync daemon', interface: 'eth9' }, "cannot start master sync daemon: interface 'eth9' does not exist"],
    ['deadline', errno.ETIMEDOUT, { operation: 'listServices', object: 'all services', timeoutMs: 5 }, 'listServices on all services: no answer from the kernel within 5 ms (the client replaced its socket)'],
    ['closed', errno.ECANCELED, { operation: 'info', object: 'IPVS' }, 'info on IPVS was cancelled: the client was closed'],
    ['anything else', errno.EIO, { operation: 'flush', object: 'all services', stage: 'reading from the kernel' }, 'flush on all services failed while reading from the kernel: EIO (errno 5)'],
  ])('%s', (_name, no, context, message) => {
    const err = new IpvsError(no, { operation: 'info', object: '', ...context } as never);
    expect(err.message).toBe(message);
    expect(err.errno).toBe(no);
    expect(err.code).toBe(errnoName(no));
    expect(err.operation).toBe(context.operation);
    expect(err.object).toBe(context.object);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('IpvsError');
  });
});

describe('what messages quote is cut to a readable length (issue 8, item 8)', () => {
  it('a long string value: 64 characters, then how long it was', () => {
    const err = new IpvsValidationError('options.scheduler', 'x'.repeat(100_000), 'a module name');
    expect(err.message).toBe(`options.scheduler: expected a module name, got "${'x'.repeat(64)}"… (100000 chars)`);
    expect(err.value).toBe('x'.repeat(100_000));
  });

  it('never cuts a surrogate pair in two', () => {
    const text = `${'a'.repeat(63)}😀${'b'.repeat(10)}`;
    expect(clip(text)).toBe(`${'a'.repeat(63)}… (${text.length} chars)`);
    expect(show('😀'.repeat(40))).toBe(`"${'😀'.repeat(32)}"… (80 chars)`);
  });

  it('a large object value and a long field path are cut too', () => {
    const err = new IpvsValidationError(`options.${'k'.repeat(5000)}`, { list: new Array(10_000).fill(1) }, 'no such option');
    expect(err.message.length).toBeLessThan(200);
    expect(err.message).toMatch(/… \(\d+ chars\)$/);
  });

  it('a rules error quotes at most 64 characters of its line; problems keep the whole line', () => {
    const text = `-A -t 192.0.2.1:80 -s ${'z'.repeat(1 << 20)}`;
    const err = new IpvsRulesError([{ line: 3, text, reason: `unknown option --${'o'.repeat(1 << 20)}` }]);
    expect(err.message.length).toBeLessThan(500);
    expect(err.message).toContain(`(${text.length} chars)`);
    expect(err.text).toBe(text);
  });

  it('a long namespace path is cut in open errors', () => {
    const netns = `/run/netns/${'n'.repeat(4000)}`;
    const err = new IpvsError(errno.EINVAL, { operation: 'open', object: 'namespace', netns });
    expect(err.message.length).toBeLessThan(200);
  });
});

describe('messages of calls the library did not send', () => {
  it('a deadline that passed in the queue, or between the steps of a call', () => {
    expect(new IpvsError(errno.ETIMEDOUT, { operation: 'getService', object: svc, timeoutMs: 50, stage: STAGE_QUEUED }).message)
      .toBe(`getService on ${svc} was not sent: its deadline of 50 ms passed while it waited behind other calls on this client`);
    expect(new IpvsError(errno.ETIMEDOUT, { operation: 'updateService', object: svc, timeoutMs: 50, stage: STAGE_NOT_SENT }).message)
      .toBe(`updateService on ${svc} was not sent: its deadline of 50 ms passed before it could be`);
  });

  it('an update found invalid over what the kernel holds says why, and keeps the validation error as cause', () => {
    const cause = new IpvsValidationError('operations[1].options.schedulerFlags[0]', 'sh-port', "a flag of scheduler 'wlc'");
    const err = new IpvsError(errno.EINVAL, { operation: 'updateService', object: svc, reason: cause.message }, { cause });
    expect(err.message).toBe(`updateService on ${svc} was not sent: ${cause.message}`);
    expect(err.cause).toBe(cause);
    expect(err.code).toBe('EINVAL');
  });

  it('an operation named like an Object.prototype member finds no message entry by inheritance', () => {
    const err = new IpvsError(errno.EEXIST, { operation: 'constructor' as never, object: svc });
    expect(err.message).toBe(`constructor on ${svc} failed: EEXIST (errno 17)`);
  });
});
