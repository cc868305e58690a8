import { DEFAULT_USER_AGENT } from '../../kernel/index.js';
import type { Logger } from '../../log/index.js';
import { silentLogger } from '../../log/index.js';
import { checkInviteOptions } from '../check-invite-options.js';
import type { OrphanDialogEnd } from '../dialog-snapshot.js';
import { EngineFeatureUnsupportedError } from '../engine-feature-unsupported-error.js';
import type { CallLeg, InviteOptions, Registration, SipEngine } from '../engine.js';
import type { RegistrationLoop } from '../registration-loop.js';
import { SipFailure } from '../sip-failure.js';
import type { SipTrunk } from '../sip-trunk.js';
import type { DrachtioCallLeg } from './drachtio-call-leg.js';
import { DrachtioConnection } from './drachtio-connection.js';
import { DrachtioInvite } from './drachtio-invite.js';
import { drachtioTlsUnsupported } from './drachtio-tls-unsupported.js';
import { createDrachtioRegistration } from './drachtio-registration.js';
import type { SrfApi } from './srf-api.js';
import { StrandedDialogs, type StrandedDialogEnd } from './stranded-dialogs.js';

export interface DrachtioEngineOptions {
  /** drachtio-server's control (admin) port. */
  readonly host: string;
  readonly port: number;
  /** Never logged. */
  readonly secret: string;
  /**
   * Transport used when a trunk does not name one. Default: `udp`. `tls` only with `tls: 'server'`.
   */
  readonly transport?: 'udp' | 'tcp' | 'tls';
  /**
   * `server`: drachtio-server terminates TLS with its own certificates and its own checks of the
   * carrier's (its `<tls>` config); this process checks nothing and sends TLS trunks' requests
   * with `;transport=tls` (or `sips:`) so drachtio-server picks its tls contact. `refuse`
   * (default): TLS and sips trunks are refused, since nobody here can vouch for those checks.
   */
  readonly tls?: 'refuse' | 'server';
  /** Default: `sip-dialer`. */
  readonly userAgent?: string;
  /** RFC 3261 T1, ms: bounds an INVITE with no response, a CANCEL with no final answer (64·T1). Default 500. */
  readonly t1Ms?: number;
  /** How long start() waits for the first connection. Default: 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * How long invite() and register() wait for a dropped connection to come back before failing
   * with a 503 SipFailure (phase `transport`). Default: 2000 ms.
   */
  readonly reconnectWaitMs?: number;
  /** Longest delay between reconnect attempts. Default: 5000 ms. */
  readonly retryMaxDelayMs?: number;
  /** Default: a silent logger. */
  readonly logger?: Logger;
  /** Builds the Srf. Default: the real drachtio-srf. */
  readonly createSrf?: () => SrfApi;
  /**
   * Told what became of each answered call the engine hung up after the control connection came
   * back (the call itself was reported ended when the connection dropped). Logged either way.
   */
  readonly onStrandedDialogEnd?: (end: StrandedDialogEnd) => void;
}

/**
 * The SipEngine on drachtio-srf: drachtio-server (a C++ SIP stack, the fleet's one signalling
 * address) carries the wire, this process drives it over the control connection. REGISTER and
 * INVITE both leave from drachtio-server's SIP address, which is also the Contact.
 */
export class DrachtioSipEngine implements SipEngine {
  readonly name = 'drachtio' as const;
  readonly #options: DrachtioEngineOptions;
  readonly #logger: Logger;
  readonly #connection: DrachtioConnection;
  readonly #registrations = new Map<string, RegistrationLoop>();
  readonly #invites = new Set<DrachtioInvite>();
  readonly #legs = new Set<DrachtioCallLeg>();
  readonly #stranded: StrandedDialogs;
  readonly #giveUpMs: number;
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: DrachtioEngineOptions) {
    if (options.transport === 'tls' && options.tls !== 'server')
      throw drachtioTlsUnsupported('sip.transport');
    this.#options = options;
    this.#logger = options.logger ?? silentLogger();
    this.#giveUpMs = 64 * (options.t1Ms ?? 500);
    this.#connection = new DrachtioConnection({
      host: options.host,
      port: options.port,
      secret: options.secret,
      logger: this.#logger,
      ...(options.retryMaxDelayMs !== undefined ? { retryMaxDelayMs: options.retryMaxDelayMs } : {}),
      ...(options.createSrf ? { createSrf: options.createSrf } : {}),
    });
    this.#stranded = new StrandedDialogs({
      srf: this.#connection.srf,
      logger: this.#logger,
      ...(options.onStrandedDialogEnd ? { onEnd: options.onStrandedDialogEnd } : {}),
    });
    this.#connection.on('down', () => this.#onConnectionLost());
    this.#connection.on('up', () => this.#stranded.endAll());
  }

  /** Calls answered and not yet ended. */
  get activeCalls(): number {
    return this.#legs.size;
  }

  /** True while the control connection to drachtio-server is up. */
  get connected(): boolean {
    return this.#connection.isUp;
  }

  start(): Promise<void> {
    if (this.#closing) return Promise.reject(new SipFailure(notConnected('engine is closed')));
    this.#starting ??= this.#connection
      .open(this.#options.connectTimeoutMs ?? 10_000)
      .catch((error: unknown) => {
        // A later start() tries again; the reconnect loop keeps running meanwhile.
        this.#starting = undefined;
        throw error;
      });
    return this.#starting;
  }

  async register(trunk: SipTrunk): Promise<Registration> {
    this.#refuseTls(trunk);
    await this.start();
    this.#requireTlsContact(trunk);
    const previous = this.#registrations.get(trunk.name);
    if (previous) await previous.unregister();
    const registration: RegistrationLoop = createDrachtioRegistration({
      trunk,
      srf: this.#connection.srf,
      proxy: this.#proxyOf(trunk),
      contact: () => this.#contact(trunk),
      connected: () => this.#connection.waitUp(this.#options.reconnectWaitMs ?? 2000),
      userAgent: this.#options.userAgent ?? DEFAULT_USER_AGENT,
      logger: this.#logger.child({ trunk: trunk.name }),
      responseWaitMs: this.#giveUpMs,
      onClosed: () => {
        if (this.#registrations.get(trunk.name) === registration) this.#registrations.delete(trunk.name);
      },
    });
    this.#registrations.set(trunk.name, registration);
    try {
      await registration.start();
    } catch (error) {
      await registration.unregister();
      throw error;
    }
    return registration;
  }

  async unregister(trunkName: string): Promise<void> {
    await this.#registrations.get(trunkName)?.unregister();
  }

  async invite(options: InviteOptions): Promise<CallLeg> {
    checkInviteOptions(options);
    this.#refuseTls(options.trunk);
    await this.start();
    // drachtio-srf asserts (AssertionError) when asked to send with no connection: wait, or say why.
    const waitMs = this.#options.reconnectWaitMs ?? 2000;
    if (!(await this.#connection.waitUp(waitMs))) {
      throw new SipFailure(
        notConnected(`not connected to drachtio-server at ${this.#connection.target} (waited ${waitMs} ms)`),
      );
    }
    this.#requireTlsContact(options.trunk);
    const invite = new DrachtioInvite({
      srf: this.#connection.srf,
      options: this.#withScheme(options),
      proxy: this.#proxyOf(options.trunk),
      // drachtio-server writes a sip: Contact of its own; a sips dialog needs a sips: one (RFC 3261 §8.1.1.8).
      ...(options.trunk.sips === true ? { contact: this.#contact(options.trunk) } : {}),
      userAgent: this.#options.userAgent ?? DEFAULT_USER_AGENT,
      logger: this.#logger,
      giveUpMs: this.#giveUpMs,
      byeWaitMs: this.#giveUpMs,
      released: (leg) => this.#legs.delete(leg),
    });
    this.#invites.add(invite);
    try {
      const leg = (await invite.run()) as DrachtioCallLeg;
      this.#legs.add(leg);
      return leg;
    } finally {
      this.#invites.delete(invite);
    }
  }

  /**
   * drachtio-server owns every dialog's state and transaction layer: a request in a dialog it did
   * not create cannot be sent through it. Orphans of a drachtio worker end by the carrier's
   * session timer and the number's fence instead.
   */
  endOrphanDialog(): Promise<OrphanDialogEnd> {
    return Promise.reject(
      new EngineFeatureUnsupportedError('the drachtio engine cannot end a dialog another process placed'),
    );
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    for (const invite of this.#invites) invite.abandon(new SipFailure(notConnected('engine closed')));
    await Promise.allSettled([...this.#legs].map((leg) => leg.hangup('shutdown')));
    await Promise.allSettled([...this.#registrations.values()].map((r) => r.unregister()));
    this.#stranded.close();
    this.#connection.close();
  }

  /**
   * drachtio-srf leaves the promises of requests in flight pending forever when the connection
   * drops (lib/drachtio-agent.js `_onClose`); end them now, and the answered calls with them.
   * drachtio-server keeps those calls' dialogs: they get their BYE once a connection is back.
   */
  #onConnectionLost(): void {
    const failure = new SipFailure(
      notConnected(`lost the connection to drachtio-server at ${this.#connection.target}`),
    );
    this.#stranded.connectionLost();
    for (const invite of this.#invites) invite.abandon(failure);
    for (const leg of [...this.#legs]) {
      const dialog = leg.lost();
      if (dialog && !this.#closing) this.#stranded.add(dialog);
    }
  }

  #transportOf(trunk: SipTrunk): 'udp' | 'tcp' | 'tls' {
    const transport = trunk.transport ?? this.#options.transport ?? 'udp';
    if (transport === 'tls') this.#refuseTls({ ...trunk, transport });
    return transport;
  }

  #refuseTls(trunk: SipTrunk): void {
    if (this.#options.tls === 'server') return;
    if (trunk.transport === 'tls' || trunk.sips === true) throw drachtioTlsUnsupported(`trunk ${trunk.name}`);
  }

  /**
   * A TLS trunk through a drachtio-server with no tls contact would go out over whatever transport
   * drachtio-server picks, or not at all: say so before sending anything.
   */
  #requireTlsContact(trunk: SipTrunk): void {
    if (this.#transportOf(trunk) !== 'tls') return;
    if (this.#connection.sipAddresses.some((a) => a.transport === 'tls')) return;
    throw new EngineFeatureUnsupportedError(
      `trunk ${trunk.name}: drachtio-server at ${this.#connection.target} has no tls contact ` +
        '(add one such as sips:ADDRESS:5061;transport=tls to its <sip><contacts>, and <sip><tls> certificates)',
    );
  }

  /** The worker writes every Request-URI as sip:; a sips trunk asks for TLS end to end (RFC 3261 §26.2.2). */
  #withScheme(options: InviteOptions): InviteOptions {
    return options.trunk.sips === true
      ? { ...options, uri: options.uri.replace(/^sip:/i, 'sips:') }
      : options;
  }

  /**
   * Where drachtio-server sends the request: the trunk's proxy, or its domain (DNS by
   * drachtio-server). The transport parameter is what makes drachtio-server send it from its
   * contact of that transport: it reads no transport into sips: alone, and could pick udp.
   */
  #proxyOf(trunk: SipTrunk): string {
    const target = trunk.proxy ?? trunk.domain;
    const transport = this.#transportOf(trunk);
    return `${trunk.sips === true ? 'sips' : 'sip'}:${target}${transport === 'udp' ? '' : `;transport=${transport}`}`;
  }

  /** drachtio-server's SIP address for the trunk's transport: where the carrier sends calls. */
  #contact(trunk: SipTrunk): string {
    const transport = this.#transportOf(trunk);
    const addresses = this.#connection.sipAddresses;
    const address = addresses.find((a) => a.transport === transport) ?? addresses[0];
    const host = address ? (address.host.includes(':') ? `[${address.host}]` : address.host) : 'invalid';
    const port = address ? `:${address.port}` : '';
    const user = trunk.username ? `${trunk.username}@` : '';
    if (trunk.sips === true) return `<sips:${user}${host}${port}>`;
    return `<sip:${user}${host}${port}${transport === 'udp' ? '' : `;transport=${transport}`}>`;
  }
}

function notConnected(reason: string): ConstructorParameters<typeof SipFailure>[0] {
  return { status: 503, reason, phase: 'transport', local: true };
}
