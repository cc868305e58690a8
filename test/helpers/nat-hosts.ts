import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);
const made = new Set<NatHosts>();
/** The router's outside UDP ports: apart from the kernel's ephemeral range the engine binds from. */
const NAT_PORTS = '20000-20999';

// A test process that dies (or is killed by vitest's timeout) must not leave namespaces behind.
process.once('exit', () => {
  for (const hosts of made) hosts.closeNow();
});

/**
 * A host behind NAT: a "lan" namespace (192.168.77.2/24) whose default route is a "router"
 * namespace that masquerades (nftables) out of its WAN veth to the root namespace, where the
 * carrier listens on `carrier`. The root namespace has no route back to 192.168.77.0/24, so
 * only the router's connection tracking brings answers home. Needs root, `ip` and `nft`.
 */
export class NatHosts {
  #closing: Promise<void> | undefined;

  private constructor(
    /** The lan namespace, for `ip netns exec`. */
    readonly lan: string,
    readonly router: string,
    /** The lan host's own (private) address. */
    readonly lanAddress: string,
    /** The router's WAN address: what the carrier sees our packets come from. */
    readonly routerOutside: string,
    /** The root namespace's address on the WAN link, where a test binds its carrier. */
    readonly carrier: string,
  ) {}

  /** Why this process cannot make them here, for a skipped suite's title; undefined when it can. */
  static async unavailable(): Promise<string | undefined> {
    if (process.getuid?.() !== 0) return 'needs root for ip netns';
    try {
      await run('ip', ['netns', 'list']);
    } catch (error) {
      return `ip netns does not work here: ${(error as Error).message.split('\n')[0]}`;
    }
    try {
      await run('nft', ['--version']);
    } catch {
      return 'nft is not installed (apt-get install nftables)';
    }
    return undefined;
  }

  static async create(): Promise<NatHosts> {
    const id = randomBytes(3).toString('hex');
    // A random 10.x.y.0/24 for the WAN side keeps concurrent runs (and the machine's networks) apart.
    const wan = `10.${100 + (randomBytes(1)[0]! % 100)}.${randomBytes(1)[0]!}`;
    const result = new NatHosts(
      `dialer-nat-${id}-lan`,
      `dialer-nat-${id}-rtr`,
      '192.168.77.2',
      `${wan}.2`,
      `${wan}.1`,
    );
    made.add(result);
    const { lan, router } = result;
    const outside = `dnw${id}`;
    try {
      await ip('netns', 'add', lan);
      await ip('netns', 'add', router);
      await ip('-n', router, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lan);
      await ip('-n', router, 'link', 'add', 'wan0', 'type', 'veth', 'peer', 'name', outside, 'netns', '1');
      await ip('-n', lan, 'addr', 'add', `${result.lanAddress}/24`, 'dev', 'eth0');
      await ip('-n', router, 'addr', 'add', '192.168.77.1/24', 'dev', 'lan0');
      await ip('-n', router, 'addr', 'add', `${result.routerOutside}/24`, 'dev', 'wan0');
      await ip('addr', 'add', `${result.carrier}/24`, 'dev', outside);
      for (const [ns, dev] of [
        [lan, 'lo'],
        [lan, 'eth0'],
        [router, 'lo'],
        [router, 'lan0'],
        [router, 'wan0'],
      ])
        await ip('-n', ns!, 'link', 'set', dev!, 'up');
      await ip('link', 'set', outside, 'up');
      await ip('-n', lan, 'route', 'add', 'default', 'via', '192.168.77.1');
      await inNs(router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
      await inNs(router, 'nft', 'add', 'table', 'ip', 'nat');
      await inNs(router, 'nft', 'add chain ip nat post { type nat hook postrouting priority 100 ; }');
      // `to :…` maps the source port too (plain masquerade keeps it when free), as carrier-grade
      // NATs do: then neither address nor port the carrier sees is the Contact's.
      await inNs(
        router,
        'nft',
        'add',
        'rule',
        'ip',
        'nat',
        'post',
        'oifname',
        'wan0',
        'meta',
        'l4proto',
        'udp',
        'masquerade',
        'to',
        `:${NAT_PORTS}`,
      );
      await inNs(router, 'nft', 'add', 'rule', 'ip', 'nat', 'post', 'oifname', 'wan0', 'masquerade');
    } catch (error) {
      await result.close();
      throw error;
    }
    return result;
  }

  /** Removes both namespaces (their veths, the root side's included, go with them). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      made.delete(this);
      for (const ns of [this.lan, this.router]) await ip('netns', 'del', ns).catch(() => undefined);
    })();
    return this.#closing;
  }

  /** `close()` for an exit hook, where nothing asynchronous runs any more. */
  closeNow(): void {
    for (const ns of [this.lan, this.router]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
}

function inNs(ns: string, ...args: string[]): Promise<void> {
  return ip('netns', 'exec', ns, ...args);
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
