import { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { queueUntilFirstReady } from '../../../src/redis/index.js';
import { freeTcpPort } from '../../helpers/free-port.js';

describe('queueUntilFirstReady', () => {
  it('holds a command sent before the cluster is ready, then fails it with the given error once the bound passes', async () => {
    // Nothing listens there: the cluster never gets ready.
    const port = await freeTcpPort();
    const cluster = new Cluster([{ host: '127.0.0.1', port }], {
      enableOfflineQueue: false,
      clusterRetryStrategy: () => 50,
    });
    cluster.on('error', () => undefined);
    try {
      queueUntilFirstReady(cluster, 300, () => new Error('the cluster was not ready within 300 ms'));
      // Without the hold, ioredis refuses it at once: "Cluster isn't ready and enableOfflineQueue…".
      await expect(cluster.get('k')).rejects.toThrow('the cluster was not ready within 300 ms');
      // After the bound, offline commands are refused again, as the connection was made to.
      await expect(cluster.get('k')).rejects.toThrow(/isn't ready|closed/);
      expect(cluster.options.enableOfflineQueue).toBe(false);
    } finally {
      cluster.disconnect();
    }
  });
});
