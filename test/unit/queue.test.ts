import { describe, expect, it } from 'vitest';
import { SerialQueue } from '../../lib/queue';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('SerialQueue', () => {
  it('runs one task at a time, in order', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    let running = 0;
    const task = (name: string) => async () => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all(['a', 'b', 'c'].map((n) => q.run(task(n), () => new Error('cancelled'))));
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(q.size).toBe(0);
  });

  it('a failing task does not stop the queue', async () => {
    const q = new SerialQueue();
    const a = q.run(async () => { throw new Error('boom'); }, () => new Error('cancelled'));
    const b = q.run(async () => 'fine', () => new Error('cancelled'));
    await expect(a).rejects.toThrow('boom');
    await expect(b).resolves.toBe('fine');
  });

  it('close() cancels what has not started, lets the running task finish, refuses new tasks', async () => {
    const q = new SerialQueue();
    let release!: () => void;
    const first = q.run(() => new Promise<string>((r) => { release = () => r('first'); }), () => new Error('cancelled 1'));
    const second = q.run(async () => 'second', () => new Error('cancelled 2'));
    await tick();
    q.close();
    await expect(second).rejects.toThrow('cancelled 2');
    release();
    await expect(first).resolves.toBe('first');
    await expect(q.run(async () => 'late', () => new Error('closed'))).rejects.toThrow('closed');
  });
});
