import { describe, expect, it } from 'vitest';
import { LocalCluster } from './local-cluster.js';

describe('LocalCluster', () => {
  it('runs exclusive sections of one key one after another, other keys alongside, and survives a failure', async () => {
    const cluster = new LocalCluster();
    const log: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const first = cluster.exclusive('a', async () => {
      log.push('a1 start');
      await held;
      log.push('a1 end');
      throw new Error('refresh failed');
    });
    const second = cluster.exclusive('a', async () => {
      log.push('a2');
      return 2;
    });
    const other = cluster.exclusive('b', async () => {
      log.push('b');
      return 'b';
    });
    expect(await other).toBe('b');
    expect(log).toEqual(['a1 start', 'b']);
    release();
    await expect(first).rejects.toThrow('refresh failed');
    expect(await second).toBe(2);
    expect(log).toEqual(['a1 start', 'b', 'a1 end', 'a2']);
  });

  it('is its own leader and has no one to send to', async () => {
    const cluster = new LocalCluster();
    const lock = cluster.leader();
    lock.start();
    expect(lock.isLeader()).toBe(true);
    expect(cluster.sessionPins).toBeNull();
    expect(cluster.oauthFlows).toBeNull();
    expect(() => cluster.bus.publish('revision', { key: 'accounts_rev' })).not.toThrow();
    await cluster.close();
  });
});
