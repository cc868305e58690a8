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
   * Transport used when a trunk does not name one. Default: `udp`. `tls` is refused: TLS is
   * drachtio-server's (its own tls contact and certificates), which this engine cannot check.
   */
  readonly transport?: 'udp' | 'tcp' | 'tls';
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
    if (options.transport === 'tls') throw drachtioTlsUnsupported('sip.transport');
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
    refuseTls(trunk);
    await this.start();
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
    refuseTls(options.trunk);
    await this.start();
    // drachtio-srf asserts (AssertionError) when asked to send with no connection: wait, or say why.
    const waitMs = this.#options.reconnectWaitMs ?? 2000;
    if (!(await this.#connection.waitUp(waitMs))) {
      throw new SipFailure(
        notConnected(`not connected to drachtio-server at ${this.#connection.target} (waited ${waitMs} ms)`),
      );
    }
    const invite = new DrachtioInvite({
      srf: this.#connection.srf,
      options,
      proxy: this.#proxyOf(options.trunk),
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

  #transportOf(trunk: SipTrunk): 'udp' | 'tcp' {
    const transport = trunk.transport ?? this.#options.transport ?? 'udp';
    if (transport === 'tls') throw drachtioTlsUnsupported(`trunk ${trunk.name}`);
    return transport;
  }

  /** Where drachtio-server sends the request: the trunk's proxy, or its domain (DNS by drachtio-server). */
  #proxyOf(trunk: SipTrunk): string {
    const target = trunk.proxy ?? trunk.domain;
    return `sip:${target}${this.#transportOf(trunk) === 'tcp' ? ';transport=tcp' : ''}`;
  }

  /** drachtio-server's SIP address for the trunk's transport: where the carrier sends calls. */
  #contact(trunk: SipTrunk): string {
    const transport = this.#transportOf(trunk);
    const addresses = this.#connection.sipAddresses;
    const address = addresses.find((a) => a.transport === transport) ?? addresses[0];
    const host = address ? (address.host.includes(':') ? `[${address.host}]` : address.host) : 'invalid';
    const port = address ? `:${address.port}` : '';
    const user = trunk.username ? `${trunk.username}@` : '';
    return `<sip:${user}${host}${port}${transport === 'tcp' ? ';transport=tcp' : ''}>`;
  }
}

function notConnected(reason: string): ConstructorParameters<typeof SipFailure>[0] {
  return { status: 503, reason, phase: 'transport', local: true };
}

function refuseTls(trunk: SipTrunk): void {
  if (trunk.transport === 'tls' || trunk.sips === true) throw drachtioTlsUnsupported(`trunk ${trunk.name}`);
}
