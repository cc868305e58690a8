import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);
const made = new Set<TestHosts>();

// A test process that dies (or is killed by vitest's timeout) must not leave namespaces behind.
process.once('exit', () => {
  for (const hosts of made) hosts.closeNow();
});

/** One host: a network namespace whose only link is a veth to the test's bridge. */
export interface TestHost {
  /** The namespace's name, for `ip netns exec` (see `WorkerPlace`). */
  readonly netns: string;
  /** Its address on the bridge. */
  readonly address: string;
}

/**
 * Hosts of their own on one machine: network namespaces joined by a bridge in the root namespace,
 * which holds `gateway` (where a test binds its Redis and carrier). A host reaches nothing else:
 * not the machine's loopback, not the other tests' Redis. Needs root (CAP_NET_ADMIN) and `ip`.
 */
export class TestHosts {
  #closing: Promise<void> | undefined;

  private constructor(
    readonly hosts: readonly TestHost[],
    readonly gateway: string,
    readonly bridge: string,
  ) {}

  /** Whether this process may make namespaces here; the reason when not, for a skipped suite's title. */
  static async unavailable(): Promise<string | undefined> {
    if (process.getuid?.() !== 0) return 'needs root for ip netns';
    try {
      await run('ip', ['netns', 'list']);
      return undefined;
    } catch (error) {
      return `ip netns does not work here: ${(error as Error).message.split('\n')[0]}`;
    }
  }

  /** `count` hosts on a fresh /24 of 10.x, with names no other run uses. */
  static async create(count: number): Promise<TestHosts> {
    const id = randomBytes(3).toString('hex');
    // A random 10.x.y.0/24 keeps concurrent runs (and the machine's own networks) apart.
    const net = `10.${100 + (randomBytes(1)[0]! % 100)}.${randomBytes(1)[0]!}`;
    const bridge = `dlb${id}`;
    const hosts = Array.from({ length: count }, (_, i) => ({
      netns: `dialer-${id}-${i + 1}`,
      address: `${net}.${11 + i}`,
    }));
    const result = new TestHosts(hosts, `${net}.1`, bridge);
    made.add(result);
    try {
      await ip('link', 'add', bridge, 'type', 'bridge');
      await ip('addr', 'add', `${result.gateway}/24`, 'dev', bridge);
      await ip('link', 'set', bridge, 'up');
      for (const [i, host] of hosts.entries()) {
        const outside = `dlv${id}${i + 1}`;
        await ip('netns', 'add', host.netns);
        await ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.netns);
        await ip('link', 'set', outside, 'master', bridge, 'up');
        await ip('-n', host.netns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0');
        await ip('-n', host.netns, 'link', 'set', 'eth0', 'up');
        await ip('-n', host.netns, 'link', 'set', 'lo', 'up');
      }
    } catch (error) {
      await result.close();
      throw error;
    }
    return result;
  }

  /** Cuts a host's only link, as a pulled cable or a dead switch port would. */
  async cut(host: TestHost): Promise<void> {
    await ip('-n', host.netns, 'link', 'set', 'eth0', 'down');
  }

  /** Removes the namespaces (their veths go with them) and the bridge. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      made.delete(this);
      for (const host of this.hosts) await ip('netns', 'del', host.netns).catch(() => undefined);
      await ip('link', 'del', this.bridge).catch(() => undefined);
    })();
    return this.#closing;
  }

  /** `close()` for an exit hook, where nothing asynchronous runs any more. */
  closeNow(): void {
    for (const host of this.hosts) spawnSync('ip', ['netns', 'del', host.netns], { stdio: 'ignore' });
    spawnSync('ip', ['link', 'del', this.bridge], { stdio: 'ignore' });
  }
}

async function ip(...args: string[]): Promise<void> {
  try {
    await run('ip', args);
  } catch (error) {
    throw new Error(
      `ip ${args.join(' ')}: ${(error as { stderr?: string }).stderr?.trim() ?? String(error)}`,
      { cause: error },
    );
  }
}
