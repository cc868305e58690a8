// The engine under the NAT test, run as a child inside the lan namespace (`ip netns exec`): it
// registers, calls, hangs up, and prints every SIP message it sent or received as a JSON line.
import { EmbeddedSipEngine } from '../../../src/sip/embedded/embedded-engine.js';
import { SDP } from './conformance-helpers.js';

interface Args {
  readonly listenHost: string;
  readonly registrar: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const print = (line: object): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

const engine = new EmbeddedSipEngine({
  listen: { host: args.listenHost, port: 0 },
  nat: 'auto',
  keepAliveMs: 0,
  trace: (entry) =>
    print({ trace: entry.direction, remote: entry.remote, raw: entry.raw.toString('latin1') }),
});
try {
  await engine.start();
  const trunk = {
    name: 'carrier',
    domain: 'carrier.test',
    proxy: args.registrar,
    transport: 'udp' as const,
    username: 'dialer1',
    registerExpiresSec: 60,
  };
  const registration = await engine.register(trunk);
  print({ registered: registration.status.state });
  const leg = await engine.invite({
    trunk,
    uri: 'sip:5534984149880@carrier.test',
    sdp: SDP,
    ringTimeoutMs: 5000,
  });
  print({ answered: true });
  await leg.hangup();
  print({ hungUp: true });
  await registration.unregister();
} catch (error) {
  print({ error: String(error) });
  process.exitCode = 1;
} finally {
  await engine.close();
}
