import { DEFAULT_USER_AGENT } from '../../kernel/index.js';
import { isIP } from 'node:net';
import os from 'node:os';
import type { Logger } from '../../log/index.js';
import { silentLogger } from '../../log/index.js';
import type { DialogSnapshot, OrphanDialogEnd, OrphanEndOptions } from '../dialog-snapshot.js';
import type { CallLeg, InviteOptions, Registration, SipEngine } from '../engine.js';
import type { SipSecurityStats } from '../sip-security-stats.js';
import type { RegistrationLoop } from '../registration-loop.js';
import { SipFailure } from '../sip-failure.js';
import { trunkCredentials, type SipTrunk } from '../sip-trunk.js';
import { FirstChallengeGate } from './auth/first-challenge-gate.js';
import { NonceCache } from './auth/nonce-cache.js';
import { AuthenticatedRequest } from './authenticated-request.js';
import { callerPresentation } from '../caller-presentation.js';
import { checkInviteOptions } from '../check-invite-options.js';
import type { Dialog } from './dialog.js';
import { parseNameAddr } from './message/parse-name-addr.js';
import { cancelOfSnapshot, dialogOfSnapshot, inviteOfSnapshot } from './dialog-snapshots.js';
import { SipTargetCache } from './dns/sip-target-cache.js';
import type { EarlyDialogs } from './early-dialogs.js';
import type { EmbeddedCallLeg } from './embedded-call-leg.js';
import { createEmbeddedRegistration } from './embedded-registration.js';
import { establishCallLeg, type EstablishInput } from './establish-call-leg.js';
import { IncomingRequestDispatcher } from './incoming-request-dispatcher.js';
import { LateAnswers } from './late-answers.js';
import { NatKeepAlive } from './nat-keep-alive.js';
import { OutboundInvite, type InviteRoute, type OutboundInviteContext } from './outbound-invite.js';
import type { SipResponse } from './message/sip-message.js';
import { serializeMessage } from './message/serialize-message.js';
import { ServerResponseCache } from './server-response-cache.js';
import { isSamePeer } from './peer-match.js';
import { SipStack } from './sip-stack.js';
import { SpoofedMessageLog } from './spoofed-message-log.js';
import type { SipTraceSink } from './sip-trace.js';
import { newCallId, newTag } from './transaction/branch.js';
import { defaultSipTimers, systemClock, type Clock, type SipTimerValues } from './transaction/sip-timers.js';
import {
  remoteKey,
  type RemoteAddress,
  type SipTransport,
  type TransportKind,
} from './transport/sip-transport.js';
import type { TcpCloseReason, TcpLimits } from './transport/tcp-limits.js';
import { SipTransportError } from './transport/sip-transport-error.js';
import { TcpTransport } from './transport/tcp-transport.js';
import type { TlsKeepAlive } from './transport/tls-keep-alive.js';
import type { TlsPeer } from './transport/tls-peer.js';
import { TlsTransport } from './transport/tls-transport.js';
import { tlsPeerOfTrunk } from './tls-peer-of-trunk.js';
import { UdpTransport } from './transport/udp-transport.js';

export interface EmbeddedEngineOptions {
  /** Address and port bound for UDP and TCP. Port 0 picks a free one. */
  readonly listen: { readonly host: string; readonly port: number };
  /** Transport used when a trunk does not name one. Default: `udp`. */
  readonly transport?: TransportKind;
  /** Address put in Via and Contact when the bound one is not what the carrier sees. */
  readonly publicAddress?: string;
  /** Default: `sip-dialer`. */
  readonly userAgent?: string;
  /** RFC 3261 T1/T2/T4. Default: 500/4000/5000 ms. */
  readonly timers?: Partial<SipTimerValues>;
  /** Default: a silent logger. */
  readonly logger?: Logger;
  /** Receives every message sent and received (probe --trace). */
  readonly trace?: SipTraceSink;
  /** Default: real time. Tests pass a fake clock. */
  readonly clock?: Clock;
  /** Resolves proxies to addresses. Default: SRV then A/AAAA with a 60 s cache. */
  readonly targets?: Pick<SipTargetCache, 'resolve'>;
  /** Largest SIP message accepted. Default: 65535 bytes. */
  readonly maxMessageBytes?: number;
  /**
   * RFC 4028 session interval asked for in each INVITE with `refresher=uac`, seconds (≥ 90). A
   * 422 raises it to the carrier's Min-SE once. Default: none asked.
   */
  readonly sessionExpiresSec?: number;
  /** Bounds on TCP connections others open to us (`sip.tcp` in config). Default: unbounded. */
  readonly tcpLimits?: TcpLimits;
  /**
   * `auto`: a registrar's Via `received`/`rport` that differ from our Contact (RFC 3581) make the
   * trunk's Contact that public address, registered again at once and used in INVITEs. Default: off.
   */
  readonly nat?: 'auto' | 'off';
  /** CRLFCRLF keep-alive to each registered trunk every this many ms (RFC 5626 §4.4.1). Default: none. */
  readonly keepAliveMs?: number;
  /** CRLF keep-alive on TLS connections to carriers (`sip.tls` in config). Default: none sent. */
  readonly tlsKeepAlive?: TlsKeepAlive;
  /**
   * Listen for TLS connections carriers open to us, on the listen host at `port` (0: any), with
   * this certificate and key (PEM; `sip.tls` in config). Via and Contact on TLS then name that
   * port. Default: no TLS listener (carriers reach us only on the connections we open).
   */
  readonly tlsServer?: { readonly port: number; readonly cert: Buffer; readonly key: Buffer };
}

/**
 * A SIP user agent client in TypeScript on node:dgram and node:net. One UDP socket and one TCP
 * listener on the same port: REGISTER and INVITE leave from the address the Contact names.
 */
export class EmbeddedSipEngine implements SipEngine {
  readonly name = 'embedded' as const;
  readonly #options: EmbeddedEngineOptions;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #timers: SipTimerValues;
  readonly #userAgent: string;
  readonly #nonces = new NonceCache();
  readonly #firstChallenge: FirstChallengeGate;
  readonly #targets: Pick<SipTargetCache, 'resolve'>;
  readonly #registrations = new Map<string, RegistrationLoop>();
  /** Per trunk: the `host:port` its registrar saw us at, when that is not our own address. */
  readonly #publicAddresses = new Map<string, string>();
  readonly #keepAlives = new Map<string, NatKeepAlive>();
  readonly #legs = new Map<string, EmbeddedCallLeg>();
  /** INVITEs not yet answered, by dialog key: their early dialogs take UPDATE before the answer. */
  readonly #early = new Map<string, EarlyDialogs>();
  readonly #pending = new Set<AuthenticatedRequest>();
  /** The trunk each live dialog belongs to: in-dialog requests may be challenged too. */
  readonly #dialogTrunks = new Map<string, SipTrunk>();
  readonly #trunkLoggers = new Map<string, Logger>();
  readonly #lateAnswers: LateAnswers;
  /** Every address a trunk resolved to (`transport|address|port`, port left out for TCP). */
  readonly #trunkAddresses = new Set<string>();
  /** Where each live leg's peer is: the INVITE's target and the dialog's next hop. */
  readonly #legPeers = new Map<string, RemoteAddress[]>();
  #spoofed: SpoofedMessageLog | undefined;
  /** Trunks whose proxy is an IP literal resolve to the same address every time. */
  readonly #literalTargets = new Map<string, RemoteAddress>();
  #transports = new Map<TransportKind, SipTransport>();
  #tcp: TcpTransport | undefined;
  #tls: TlsTransport | undefined;
  /** TLS settings per carrier address (`remoteKey`), filed when a trunk or a dialog hop resolves. */
  readonly #tlsPeers = new Map<string, TlsPeer>();
  /** One TLS context per trunk, built on first use (the files are read once). */
  readonly #trunkTls = new Map<string, Promise<TlsPeer>>();
  /** The address each trunk last resolved to: a lost TLS flow re-registers the trunks on it. */
  readonly #trunkRemotes = new Map<string, RemoteAddress>();
  #stack: SipStack | undefined;
  #responses: ServerResponseCache | undefined;
  #dispatcher: IncomingRequestDispatcher | undefined;
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #advertisedHost = '';

  constructor(options: EmbeddedEngineOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger();
    this.#clock = options.clock ?? systemClock;
    this.#timers = { ...defaultSipTimers, ...options.timers };
    this.#userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    this.#targets = options.targets ?? new SipTargetCache();
    // 4·T1 covers a challenge round trip even when the first INVITE or its 407 is lost once
    // (retransmitted at T1), and stays short when the carrier does not challenge at all.
    this.#firstChallenge = new FirstChallengeGate({
      nonces: this.#nonces,
      clock: this.#clock,
      maxWaitMs: 4 * this.#timers.t1,
    });
    this.#lateAnswers = new LateAnswers({
      clock: this.#clock,
      keepMs: Math.max(64 * this.#timers.t1, 32_000),
      logger: this.#logger,
      legOf: (key) => this.#legs.get(key),
      isTrunkAddress: (source) => this.#isTrunkAddress(source),
      isLegPeer: (key, source) => this.#isLegPeer(key, source),
      recordSpoofed: (source, detail) => this.#spoofed?.record('response', source, detail),
      establish: (input) => this.#establish(input),
    });
  }

  /** The port SIP is bound on (UDP and TCP). */
  get localPort(): number {
    return this.#transports.get('udp')?.localPort ?? 0;
  }

  /** The TLS listener's port (what Via and Contact on TLS name); undefined without `tlsServer`. */
  get tlsListenPort(): number | undefined {
    return this.#options.tlsServer !== undefined ? this.#tls?.localPort : undefined;
  }

  /** Calls answered and not yet ended. */
  get activeCalls(): number {
    return this.#legs.size;
  }

  /** Counters an operator (and the hostile-peer tests) look at. */
  get stats(): {
    malformed: number;
    strayResponses: number;
    transactions: number;
    calls: number;
    lateAnswersEnded: number;
    spoofedResponses: number;
    spoofedRequests: number;
    tcpLimitCloses: Readonly<Record<TcpCloseReason, number>>;
    /** TLS connections to carriers open now, CRLF pings sent and answered. */
    tls: {
      connections: number;
      pings: number;
      pongs: number;
      /** Connections carriers opened to our TLS listener. */
      accepted: number;
      limitCloses: Readonly<Record<TcpCloseReason, number>>;
    };
  } {
    return {
      malformed: this.#stack?.malformedCount ?? 0,
      strayResponses: this.#stack?.strayResponses ?? 0,
      transactions: this.#stack?.activeTransactions ?? 0,
      calls: this.#legs.size,
      lateAnswersEnded: this.#lateAnswers.ended,
      spoofedResponses: this.#spoofed?.counts.response ?? 0,
      spoofedRequests: this.#spoofed?.counts.request ?? 0,
      tcpLimitCloses: this.#tcp?.limitCloses ?? { idle: 0, 'per-address': 0, total: 0 },
      tls: {
        ...(this.#tls?.counts ?? { connections: 0, pings: 0, pongs: 0 }),
        accepted: this.#tls?.acceptedCount ?? 0,
        limitCloses: this.#tls?.limitCloses ?? { idle: 0, 'per-address': 0, total: 0 },
      },
    };
  }

  get securityStats(): SipSecurityStats {
    return {
      spoofed: { ...(this.#spoofed?.counts ?? { response: 0, request: 0 }) },
      tcpClosed: this.#inboundCloses(),
    };
  }

  /** Accepted connections closed for a limit, TCP and TLS (TCP underneath) together. */
  #inboundCloses(): Record<TcpCloseReason, number> {
    const tcp = this.#tcp?.limitCloses ?? { idle: 0, 'per-address': 0, total: 0 };
    const tls = this.#tls?.limitCloses ?? { idle: 0, 'per-address': 0, total: 0 };
    return {
      idle: tcp.idle + tls.idle,
      'per-address': tcp['per-address'] + tls['per-address'],
      total: tcp.total + tls.total,
    };
  }

  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    const { host, port } = this.#options.listen;
    const common = { host, logger: this.#logger, maxMessageBytes: this.#options.maxMessageBytes ?? 65535 };
    let udp: UdpTransport;
    let tcp: TcpTransport;
    for (let attempt = 1; ; attempt++) {
      udp = await UdpTransport.open({ ...common, port });
      try {
        tcp = await TcpTransport.open({
          ...common,
          port: udp.localPort,
          ...(this.#options.tcpLimits ? { limits: this.#options.tcpLimits } : {}),
        });
        break;
      } catch (error) {
        await udp.close();
        // Port 0: the number UDP was given may be taken for TCP (another socket's ephemeral
        // port); pick another. A configured port is the operator's to fix.
        if (port !== 0 || attempt >= 5) throw error;
      }
    }
    this.#tcp = tcp;
    const tlsTransport = new TlsTransport({
      localAddress: udp.localAddress,
      localPort: udp.localPort,
      logger: this.#logger,
      maxMessageBytes: common.maxMessageBytes,
      keepAlive: this.#options.tlsKeepAlive ?? { intervalMs: 0, timeoutMs: 0 },
      peerOf: (remote) => this.#tlsPeers.get(remoteKey(remote)),
      onFlowLost: (remote) => this.#onTlsFlowLost(remote),
      ...(this.#options.tlsServer !== undefined ? { server: { host, ...this.#options.tlsServer } } : {}),
      ...(this.#options.tcpLimits ? { limits: this.#options.tcpLimits } : {}),
    });
    try {
      await tlsTransport.listen();
    } catch (error) {
      await Promise.allSettled([udp.close(), tcp.close(), tlsTransport.close()]);
      throw error;
    }
    this.#tls = tlsTransport;
    this.#transports = new Map<TransportKind, SipTransport>([
      ['udp', udp],
      ['tcp', tcp],
      ['tls', tlsTransport],
    ]);
    this.#advertisedHost = this.#options.publicAddress ?? advertisableAddress(udp.localAddress);
    this.#spoofed = new SpoofedMessageLog(this.#logger, this.#clock);
    this.#stack = new SipStack({
      spoofed: this.#spoofed,
      isTrunkAddress: (source) => this.#isTrunkAddress(source),
      transports: this.#transports,
      advertisedHost: this.#advertisedHost,
      timers: this.#timers,
      clock: this.#clock,
      logger: this.#logger,
      trace: this.#options.trace,
    });
    this.#responses = new ServerResponseCache(this.#clock, 64 * this.#timers.t1);
    const dispatcher = new IncomingRequestDispatcher({
      stack: this.#stack,
      responses: this.#responses,
      userAgent: this.#userAgent,
      logger: this.#logger,
      spoofed: this.#spoofed,
      legOf: (key) => this.#legs.get(key),
      earlyOf: (key) => this.#early.get(key),
      isLegPeer: (key, source) => this.#isLegPeer(key, source),
      isTrunkAddress: (source) => this.#isTrunkAddress(source),
    });
    this.#dispatcher = dispatcher;
    this.#stack.setHandlers({
      onRequest: (request, remote) => dispatcher.dispatch(request, remote),
      onStray2xx: (response, remote) => this.#lateAnswers.onStray2xx(response, remote),
    });
    this.#logger.info(
      {
        host,
        port: udp.localPort,
        advertised: this.#advertisedHost,
        ...(this.#options.tlsServer !== undefined ? { tlsPort: tlsTransport.localPort } : {}),
      },
      this.#options.tlsServer !== undefined
        ? 'SIP engine listening (udp+tcp, and tls)'
        : 'SIP engine listening (udp+tcp; tls to carriers)',
    );
  }

  async register(trunk: SipTrunk): Promise<Registration> {
    await this.start();
    const stack = this.#requireStack();
    const previous = this.#registrations.get(trunk.name);
    if (previous) await previous.unregister();
    const transport = this.#transportOf(trunk);
    const trunkLogger = this.#logger.child({ trunk: trunk.name });
    const registration: RegistrationLoop = createEmbeddedRegistration({
      trunk,
      stack,
      nonces: this.#nonces,
      clock: this.#clock,
      logger: trunkLogger,
      userAgent: this.#userAgent,
      resolve: () => this.#resolveTrunk(trunk),
      contact: () => this.#contact(trunk.username, transport, trunk),
      ...(this.#options.nat === 'auto' && {
        onPublicAddress: (address: { host: string; port: number }) => {
          const hostPort = `${bracket(address.host)}:${address.port}`;
          if (this.#publicAddresses.get(trunk.name) === hostPort) return false;
          this.#publicAddresses.set(trunk.name, hostPort);
          trunkLogger.info(
            { publicAddress: hostPort },
            'the registrar sees us at another address (RFC 3581): registering it as our Contact',
          );
          return true;
        },
      }),
      onClosed: () => {
        if (this.#registrations.get(trunk.name) !== registration) return;
        this.#registrations.delete(trunk.name);
        this.#keepAlives.get(trunk.name)?.close();
        this.#keepAlives.delete(trunk.name);
      },
    });
    this.#registrations.set(trunk.name, registration);
    try {
      await registration.start();
    } catch (error) {
      await registration.unregister();
      throw error;
    }
    // A TLS connection has its own keep-alive, which also waits for the pong (sip.tls).
    const keepAliveMs = transport === 'tls' ? 0 : (this.#options.keepAliveMs ?? 0);
    if (keepAliveMs > 0 && this.#registrations.get(trunk.name) === registration) {
      this.#keepAlives.get(trunk.name)?.close();
      this.#keepAlives.set(
        trunk.name,
        new NatKeepAlive({
          clock: this.#clock,
          intervalMs: keepAliveMs,
          logger: trunkLogger,
          resolve: () => this.#resolveTrunk(trunk),
          send: (bytes, remote) => stack.send(bytes, remote),
        }),
      );
    }
    return registration;
  }

  async unregister(trunkName: string): Promise<void> {
    await this.#registrations.get(trunkName)?.unregister();
  }

  async invite(options: InviteOptions): Promise<CallLeg> {
    checkInviteOptions(options);
    await this.start();
    const stack = this.#requireStack();
    const { trunk } = options;
    const transport = this.#transportOf(trunk);
    // One child logger per trunk, not two per call: pino children cost ~7% of a call's CPU.
    const logger = this.#trunkLogger(trunk.name);
    const remote = await this.#resolveTrunk(trunk);
    const callId = newCallId(this.#advertisedHost);
    const fromTag = newTag();
    const fromUser = options.from ?? trunk.username ?? digitsOf(options.callerId) ?? 'dialer';
    const presentation = callerPresentation(options);
    const route: InviteRoute = {
      trunk,
      remote,
      transport,
      contact: this.#contact(fromUser, transport, trunk),
      callId,
      fromTag,
      // A sips trunk keeps sips: in From too (RFC 3261 §19.1).
      from: `${trunk.sips ? presentation.from.replace('<sip:', '<sips:') : presentation.from};tag=${fromTag}`,
      identityHeaders: presentation.headers,
      logger,
    };
    const context: OutboundInviteContext = {
      stack,
      nonces: this.#nonces,
      firstChallenge: this.#firstChallenge,
      clock: this.#clock,
      userAgent: this.#userAgent,
      sessionExpiresSec: this.#options.sessionExpiresSec ?? 0,
      pending: this.#pending,
      lateAnswers: this.#lateAnswers,
      establish: (input) => this.#establish(input),
      resolveHop: (dialog, fallback) => this.#resolveHop(dialog, fallback),
      isTrunkAddress: (address) => this.#isTrunkAddress(address),
      requestInEarlyDialog: (dialog, earlyTrunk, method, hop, extra) =>
        this.#requestInDialog(dialog, method, hop, extra, earlyTrunk, hop),
      respond: (request, source, status, reason, extra) =>
        void this.#dispatcher?.respond(request, source, status, reason, extra),
      trackEarly: (key, early) => {
        this.#early.set(key, early);
        return () => {
          if (this.#early.get(key) === early) this.#early.delete(key);
        };
      },
    };
    // The worker writes every Request-URI as sip:; a sips trunk asks for TLS end to end.
    const invite = trunk.sips ? { ...options, uri: options.uri.replace(/^sip:/i, 'sips:') } : options;
    return new OutboundInvite(context, invite, route).run();
  }

  async endOrphanDialog(
    snapshot: DialogSnapshot,
    trunk: SipTrunk,
    options: OrphanEndOptions = {},
  ): Promise<OrphanDialogEnd> {
    await this.start();
    const stack = this.#requireStack();
    const peer: RemoteAddress = {
      transport: snapshot.transport,
      address: snapshot.peer.address,
      port: snapshot.peer.port,
    };
    if (snapshot.state === 'early') {
      // The dead process may have died as the 200 came: a 2xx that reaches us (this process took
      // over its address, as a restarted worker does) is ACKed and hung up, and the person was
      // reached after all.
      const recent = this.#lateAnswers.remember(
        snapshot.callId,
        parseNameAddr(snapshot.localParty).params.get('tag') ?? '',
        {
          trunk,
          remote: peer,
          transport: snapshot.transport,
          contact: this.#contact(trunk.username, snapshot.transport, trunk),
          logger: this.#trunkLogger(trunk.name).child({ callId: snapshot.callId }),
          invite: () => inviteOfSnapshot(snapshot),
          ...(options.onAnswered !== undefined ? { onLateAnswer: options.onAnswered } : {}),
        },
      );
      this.#lateAnswers.forgetLater(recent);
      // No transaction of ours: the answer goes to the dead process's Via. A few copies over
      // UDP stand in for retransmissions.
      const bytes = serializeMessage(cancelOfSnapshot(snapshot));
      const t1 = this.#timers.t1;
      for (const wait of snapshot.transport === 'udp' ? [0, t1, 2 * t1, 4 * t1] : [0]) {
        if (wait > 0) await new Promise<void>((resolve) => this.#clock.setTimer(wait, resolve));
        await stack.send(bytes, peer);
      }
      return { method: 'CANCEL' };
    }
    if (peer.transport === 'tls') await this.#fileTlsPeer(trunk, peer);
    const dialog = dialogOfSnapshot(
      snapshot,
      this.#contact(trunk.username, snapshot.transport, trunk),
      this.#userAgent,
    );
    this.#dialogTrunks.set(dialog.key, trunk);
    try {
      // The dead process may have died before its ACK left; a carrier still waiting for it drops a
      // BYE. A second ACK for the same 2xx is absorbed by the carrier (RFC 3261 §13.3.1.4).
      const ack = dialog.buildRequest('ACK', snapshot.inviteCSeq);
      const hop = await this.#resolveHop(dialog, peer);
      ack.headers.prepend(
        'Via',
        `SIP/2.0/${hop.transport.toUpperCase()} ${stack.sentBy(hop.transport)};rport;branch=z9hG4bK${newTag()}${newTag()}`,
      );
      await stack.send(serializeMessage(ack), hop).catch(() => undefined);
      const response = await this.#requestInDialog(dialog, 'BYE', peer);
      return { method: 'BYE', status: response.status };
    } finally {
      this.#dialogTrunks.delete(dialog.key);
    }
  }

  #establish(input: EstablishInput): EmbeddedCallLeg {
    return establishCallLeg(
      {
        stack: this.#requireStack(),
        userAgent: this.#userAgent,
        clock: this.#clock,
        timers: this.#timers,
        respond: (request, remote, status, reason, extra) =>
          this.#dispatcher?.respond(request, remote, status, reason, extra),
        resolveHop: (dialog, fallback) => this.#resolveHop(dialog, fallback),
        requestInDialog: (dialog, method, fallback, extra) =>
          this.#requestInDialog(dialog, method, fallback, extra),
        track: (leg, trunk, peers) => {
          this.#legPeers.set(leg.dialog.key, peers);
          this.#legs.set(leg.dialog.key, leg);
          this.#dialogTrunks.set(leg.dialog.key, trunk);
        },
        release: (leg) => {
          if (this.#legs.get(leg.dialog.key) !== leg) return;
          this.#legs.delete(leg.dialog.key);
          this.#dialogTrunks.delete(leg.dialog.key);
          this.#legPeers.delete(leg.dialog.key);
        },
      },
      input,
    );
  }

  async #requestInDialog(
    dialog: Dialog,
    method: string,
    fallback: RemoteAddress,
    extra: { headers?: Array<[string, string]>; sdp?: string } = {},
    trunk?: SipTrunk,
    /** A hop the caller resolved and checked: used as is, not looked up again. */
    hop?: RemoteAddress,
  ): Promise<SipResponse> {
    const remote = hop ?? (await this.#resolveHop(dialog, fallback));
    // An early dialog is not filed under its trunk yet: the INVITE names it.
    const trunkScope = trunk
      ? { scope: trunk.name, credentials: trunkCredentials(trunk) }
      : this.#scopeOfDialog(dialog);
    const request = new AuthenticatedRequest({
      stack: this.#requireStack(),
      nonces: this.#nonces,
      scope: trunkScope.scope,
      credentials: trunkScope.credentials,
      remote,
      firstCSeq: dialog.localCSeq + 1,
      logger: this.#logger,
      build: (cseq) => {
        dialog.localCSeq = Math.max(dialog.localCSeq, cseq);
        const body =
          extra.sdp !== undefined
            ? { contentType: 'application/sdp', data: Buffer.from(extra.sdp, 'utf8') }
            : undefined;
        const built = dialog.buildRequest(method, cseq, body);
        for (const [name, value] of extra.headers ?? []) built.headers.append(name, value);
        return built;
      },
    });
    const result = await request.run();
    return result.response;
  }

  /** Dialogs remember the trunk through the nonce scope they were created with. */
  #scopeOfDialog(dialog: Dialog): {
    scope: string;
    credentials: { username: string; password: string } | undefined;
  } {
    const trunk = this.#dialogTrunks.get(dialog.key);
    return { scope: trunk?.name ?? '', credentials: trunk ? trunkCredentials(trunk) : undefined };
  }

  async #resolveHop(dialog: Dialog, fallback: RemoteAddress): Promise<RemoteAddress> {
    const hop = dialog.nextHop();
    if (hop.transport !== 'tls' && fallback.transport === 'tls' && dialog.contact.startsWith('<sips:')) {
      // RFC 3261 §26.2.2: a sips dialog is TLS on every hop. A far end pointing us at a plain
      // address does not get the BYE in clear: it goes to the trunk over TLS, to be routed on.
      this.#logger.warn(
        { callId: dialog.callId, hop: `${hop.transport}:${hop.host}` },
        'sips dialog: next hop is not TLS; sending through the trunk instead',
      );
      return fallback;
    }
    const defaultPort = hop.transport === 'tls' ? 5061 : 5060;
    if (isIP(hop.host) !== 0)
      return this.#tlsHop(
        { transport: hop.transport, address: hop.host, port: hop.port ?? defaultPort },
        fallback,
      );
    try {
      const target = hop.port !== undefined ? `${bracket(hop.host)}:${hop.port}` : hop.host;
      const [first] = await this.#targets.resolve(target, hop.transport);
      if (first)
        return this.#tlsHop({ transport: hop.transport, address: first.address, port: first.port }, fallback);
    } catch (error) {
      this.#logger.debug(
        { err: error, host: hop.host },
        'in-dialog next hop did not resolve; using the INVITE target',
      );
    }
    return fallback;
  }

  /**
   * A TLS hop inside a dialog (a Record-Route of the carrier's) is checked like the trunk the
   * dialog went out on: the INVITE's target lends it its settings.
   */
  #tlsHop(hop: RemoteAddress, fallback: RemoteAddress): RemoteAddress {
    if (hop.transport !== 'tls' || this.#tlsPeers.has(remoteKey(hop))) return hop;
    const peer = this.#tlsPeers.get(remoteKey(fallback));
    if (peer) this.#tlsPeers.set(remoteKey(hop), peer);
    return hop;
  }

  /** The trunk's TLS settings, built once; a file that cannot be read fails the request. */
  #trunkTlsPeer(trunk: SipTrunk): Promise<TlsPeer> {
    let peer = this.#trunkTls.get(trunk.name);
    if (!peer) {
      peer = tlsPeerOfTrunk(trunk);
      this.#trunkTls.set(trunk.name, peer);
      peer.catch(() => {
        if (this.#trunkTls.get(trunk.name) === peer) this.#trunkTls.delete(trunk.name);
      });
    }
    return peer;
  }

  async #fileTlsPeer(trunk: SipTrunk, remote: RemoteAddress): Promise<void> {
    let peer: TlsPeer;
    try {
      peer = await this.#trunkTlsPeer(trunk);
    } catch (error) {
      throw new SipFailure({
        status: 503,
        reason: error instanceof Error ? error.message : String(error),
        phase: 'transport',
        local: true,
        cause: error,
      });
    }
    this.#tlsPeers.set(remoteKey(remote), peer);
  }

  /** The carrier's TLS connection closed: bind again at once, which opens a new one. */
  #onTlsFlowLost(remote: RemoteAddress): void {
    // Answers to what went out on it can only have come back on it.
    this.#stack?.abortTransactionsTo(
      remote,
      new SipTransportError(`TLS connection to ${remoteKey(remote)} lost before the answer`),
    );
    for (const [name, registration] of this.#registrations) {
      const trunkRemote = this.#trunkRemotes.get(name);
      if (trunkRemote && trunkRemote.transport === 'tls' && remoteKey(trunkRemote) === remoteKey(remote)) {
        this.#logger.info({ trunk: name }, 'TLS connection lost: registering again');
        registration.refreshNow();
      }
    }
  }

  async #resolveTrunk(trunk: SipTrunk): Promise<RemoteAddress> {
    const remote = await this.#resolveTrunkAddress(trunk);
    this.#trunkRemotes.set(trunk.name, remote);
    if (remote.transport === 'tls') await this.#fileTlsPeer(trunk, remote);
    return remote;
  }

  async #resolveTrunkAddress(trunk: SipTrunk): Promise<RemoteAddress> {
    const transport = this.#transportOf(trunk);
    const target = trunk.proxy ?? trunk.domain;
    const literalKey = `${transport}|${target}`;
    const literal = this.#literalTargets.get(literalKey);
    if (literal) return literal;
    let targets;
    try {
      targets = await this.#targets.resolve(target, transport);
    } catch (error) {
      throw new SipFailure({
        status: 503,
        reason: `Cannot resolve ${target}`,
        phase: 'resolve',
        local: true,
        cause: error,
      });
    }
    const first = targets[0];
    if (!first)
      throw new SipFailure({
        status: 503,
        reason: `Cannot resolve ${target}`,
        phase: 'resolve',
        local: true,
      });
    const remote: RemoteAddress = { transport, address: first.address, port: first.port };
    for (const resolved of targets) {
      this.#trunkAddresses.add(peerKey({ transport, address: resolved.address, port: resolved.port }));
    }
    if (isIP(hostOf(target)) !== 0) this.#literalTargets.set(literalKey, remote);
    return remote;
  }

  #isTrunkAddress(source: RemoteAddress): boolean {
    return this.#trunkAddresses.has(peerKey(source));
  }

  #isLegPeer(key: string, source: RemoteAddress): boolean {
    if (this.#isTrunkAddress(source)) return true;
    return (this.#legPeers.get(key) ?? []).some((peer) => isSamePeer(source, peer));
  }

  #trunkLogger(name: string): Logger {
    let logger = this.#trunkLoggers.get(name);
    if (!logger) {
      logger = this.#logger.child({ trunk: name });
      this.#trunkLoggers.set(name, logger);
    }
    return logger;
  }

  #transportOf(trunk: SipTrunk): TransportKind {
    return trunk.transport ?? this.#options.transport ?? 'udp';
  }

  /**
   * Our Contact: for a trunk whose registrar saw us behind NAT, at the address it saw; a `sips:`
   * URI on a sips trunk over TLS (RFC 3261 §19.1.1), else a `sip:` URI saying which transport to
   * come back on.
   */
  #contact(
    user: string | undefined,
    transport: TransportKind,
    trunk?: Pick<SipTrunk, 'name' | 'sips'>,
  ): string {
    const stack = this.#requireStack();
    const userPart = user ? `${user}@` : '';
    const hostPort =
      (trunk !== undefined ? this.#publicAddresses.get(trunk.name) : undefined) ?? stack.sentBy(transport);
    if (trunk?.sips === true && transport === 'tls') return `<sips:${userPart}${hostPort}>`;
    const param = transport === 'udp' ? '' : `;transport=${transport}`;
    return `<sip:${userPart}${hostPort}${param}>`;
  }

  /** Keep-alive pings sent so far, per trunk (operators' and tests' view). */
  get keepAlivesSent(): Readonly<Record<string, number>> {
    return Object.fromEntries([...this.#keepAlives].map(([name, k]) => [name, k.sent]));
  }

  #requireStack(): SipStack {
    if (!this.#stack)
      throw new SipFailure({
        status: 503,
        reason: 'SIP engine is not started',
        phase: 'transport',
        local: true,
      });
    return this.#stack;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    for (const request of this.#pending) request.cancel();
    for (const keepAlive of this.#keepAlives.values()) keepAlive.close();
    this.#keepAlives.clear();
    this.#lateAnswers.close();
    await Promise.allSettled([...this.#legs.values()].map((leg) => leg.hangup('shutdown')));
    await Promise.allSettled([...this.#registrations.values()].map((r) => r.unregister()));
    this.#stack?.close();
    this.#responses?.close();
    await Promise.allSettled([...this.#transports.values()].map((t) => t.close()));
  }
}

/** Key of a trunk address; TCP and TLS leave the port out (see isSamePeer). */
function peerKey(remote: RemoteAddress): string {
  const address = remote.address.startsWith('::ffff:')
    ? remote.address.slice(7)
    : remote.address.toLowerCase();
  return remote.transport === 'udp' ? `udp|${address}|${remote.port}` : `${remote.transport}|${address}`;
}

function digitsOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const digits = value.replace(/[^0-9+]/g, '');
  return digits.length > 0 ? digits : undefined;
}

/** `1.2.3.4:5060` → `1.2.3.4`, `[::1]:5060` → `::1`, `carrier.test` → itself. */
function hostOf(target: string): string {
  const v6 = /^\[([^\]]+)\]/.exec(target);
  if (v6?.[1]) return v6[1];
  const colon = target.lastIndexOf(':');
  return colon !== -1 && target.indexOf(':') === colon ? target.slice(0, colon) : target;
}

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** A wildcard bind cannot go in a Contact: advertise the first external IPv4 address instead. */
function advertisableAddress(bound: string): string {
  if (bound !== '0.0.0.0' && bound !== '::') return bound;
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return '127.0.0.1';
}
