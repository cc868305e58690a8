import { isIP } from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../log/index.js';
import { silentLogger } from '../../log/index.js';
import type { DialogSnapshot, OrphanDialogEnd } from '../dialog-snapshot.js';
import type { CallLeg, InviteOptions, Registration, SipEngine } from '../engine.js';
import type { SipSecurityStats } from '../sip-security-stats.js';
import { SipFailure } from '../sip-failure.js';
import { trunkCredentials, type SipTrunk } from '../sip-trunk.js';
import { FirstChallengeGate } from './auth/first-challenge-gate.js';
import { NonceCache } from './auth/nonce-cache.js';
import { AuthenticatedRequest } from './authenticated-request.js';
import { buildResponse } from './build-response.js';
import { checkInviteOptions } from '../check-invite-options.js';
import { callerIdUri } from '../../kernel/index.js';
import { Dialog, dialogKey } from './dialog.js';
import { cancelOfSnapshot, confirmedSnapshot, dialogOfSnapshot, earlySnapshot } from './dialog-snapshots.js';
import { SipTargetCache } from './dns/sip-target-cache.js';
import { ALLOWED_METHODS, EmbeddedCallLeg, type CallLegContext } from './embedded-call-leg.js';
import { EmbeddedRegistration } from './embedded-registration.js';
import { failureFromResponse } from './failure-from-response.js';
import { parseNameAddr } from './message/parse-name-addr.js';
import { createRequest, SipHeaders, type SipRequest, type SipResponse } from './message/sip-message.js';
import { serializeMessage } from './message/serialize-message.js';
import { ServerResponseCache } from './server-response-cache.js';
import { isSamePeer } from './peer-match.js';
import { SipStack } from './sip-stack.js';
import { SpoofedMessageLog } from './spoofed-message-log.js';
import type { SipTraceSink } from './sip-trace.js';
import { newCallId, newTag } from './transaction/branch.js';
import {
  defaultSipTimers,
  systemClock,
  type Clock,
  type SipTimerValues,
  type TimerHandle,
} from './transaction/sip-timers.js';
import type { RemoteAddress, SipTransport, TransportKind } from './transport/sip-transport.js';
import type { TcpCloseReason, TcpLimits } from './transport/tcp-limits.js';
import { TcpTransport } from './transport/tcp-transport.js';
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
  readonly #registrations = new Map<string, EmbeddedRegistration>();
  readonly #legs = new Map<string, EmbeddedCallLeg>();
  readonly #pending = new Set<AuthenticatedRequest>();
  /** The trunk each live dialog belongs to: in-dialog requests may be challenged too. */
  readonly #dialogTrunks = new Map<string, SipTrunk>();
  readonly #trunkLoggers = new Map<string, Logger>();
  /**
   * INVITEs of the last 64·T1 (at least 32 s), answered or not: a 2xx that comes after we gave up
   * (it crossed our CANCEL, or Timer B fired first) or from a second fork must be ACKed and hung
   * up (RFC 3261 §13.2.2.4), or the callee stays on an open line while the number looks free.
   */
  readonly #recentInvites = new Map<string, RecentInvite>();
  #lateAnswersEnded = 0;
  /** Every address a trunk resolved to (`transport|address|port`, port left out for TCP). */
  readonly #trunkAddresses = new Set<string>();
  /** Where each live leg's peer is: the INVITE's target and the dialog's next hop. */
  readonly #legPeers = new Map<string, RemoteAddress[]>();
  #spoofed: SpoofedMessageLog | undefined;
  /** Trunks whose proxy is an IP literal resolve to the same address every time. */
  readonly #literalTargets = new Map<string, RemoteAddress>();
  #transports = new Map<TransportKind, SipTransport>();
  #tcp: TcpTransport | undefined;
  #stack: SipStack | undefined;
  #responses: ServerResponseCache | undefined;
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #advertisedHost = '';

  constructor(options: EmbeddedEngineOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger();
    this.#clock = options.clock ?? systemClock;
    this.#timers = { ...defaultSipTimers, ...options.timers };
    this.#userAgent = options.userAgent ?? 'sip-dialer';
    this.#targets = options.targets ?? new SipTargetCache();
    // 4·T1 covers a challenge round trip even when the first INVITE or its 407 is lost once
    // (retransmitted at T1), and stays short when the carrier does not challenge at all.
    this.#firstChallenge = new FirstChallengeGate({
      nonces: this.#nonces,
      clock: this.#clock,
      maxWaitMs: 4 * this.#timers.t1,
    });
  }

  /** The port SIP is bound on (UDP and TCP). */
  get localPort(): number {
    return this.#transports.get('udp')?.localPort ?? 0;
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
  } {
    return {
      malformed: this.#stack?.malformedCount ?? 0,
      strayResponses: this.#stack?.strayResponses ?? 0,
      transactions: this.#stack?.activeTransactions ?? 0,
      calls: this.#legs.size,
      lateAnswersEnded: this.#lateAnswersEnded,
      spoofedResponses: this.#spoofed?.counts.response ?? 0,
      spoofedRequests: this.#spoofed?.counts.request ?? 0,
      tcpLimitCloses: this.#tcp?.limitCloses ?? { idle: 0, 'per-address': 0, total: 0 },
    };
  }

  get securityStats(): SipSecurityStats {
    return {
      spoofed: { ...(this.#spoofed?.counts ?? { response: 0, request: 0 }) },
      tcpClosed: { ...(this.#tcp?.limitCloses ?? { idle: 0, 'per-address': 0, total: 0 }) },
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
    this.#transports = new Map<TransportKind, SipTransport>([
      ['udp', udp],
      ['tcp', tcp],
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
    this.#stack.setHandlers({
      onRequest: (request, remote) => this.#onRequest(request, remote),
      onStray2xx: (response, remote) => this.#onStray2xx(response, remote),
    });
    this.#logger.info(
      { host, port: udp.localPort, advertised: this.#advertisedHost },
      'SIP engine listening (udp+tcp)',
    );
  }

  async register(trunk: SipTrunk): Promise<Registration> {
    await this.start();
    const stack = this.#requireStack();
    const previous = this.#registrations.get(trunk.name);
    if (previous) await previous.unregister();
    const transport = this.#transportOf(trunk);
    const registration: EmbeddedRegistration = new EmbeddedRegistration({
      trunk,
      stack,
      nonces: this.#nonces,
      clock: this.#clock,
      logger: this.#logger.child({ trunk: trunk.name }),
      userAgent: this.#userAgent,
      resolve: () => this.#resolveTrunk(trunk),
      contact: this.#contact(trunk.username, transport),
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
    await this.start();
    const stack = this.#requireStack();
    const { trunk } = options;
    const transport = this.#transportOf(trunk);
    // One child logger per trunk, not two per call: pino children cost ~7% of a call's CPU.
    const logger = this.#trunkLogger(trunk.name);
    const remote = await this.#resolveTrunk(trunk);
    const callId = newCallId(this.#advertisedHost);
    const callLogger = logger;
    const fromTag = newTag();
    const fromUser = options.from ?? trunk.username ?? digitsOf(options.callerId) ?? 'dialer';
    const display = options.callerId !== undefined ? `"${options.callerId.replace(/["\\]/g, '')}" ` : '';
    const from = `${display}<sip:${fromUser}@${trunk.domain}>;tag=${fromTag}`;
    const contact = this.#contact(fromUser, transport);
    const sdp = Buffer.from(options.sdp, 'utf8');
    const startedAt = Date.now();
    const startedPerf = performance.now();
    let postDialDelayMs: number | undefined;
    // The INVITE as last sent: credentials and Via are added to this object as it goes out.
    let lastInvite: SipRequest | undefined;
    let earlyFor: SipRequest | undefined;
    const recentKey = dialogKey(callId, fromTag);
    const recent: RecentInvite = {
      trunk,
      remote,
      transport,
      contact,
      logger: callLogger,
      invite: () => lastInvite,
      handledTags: new Set(),
    };
    this.#recentInvites.set(recentKey, recent);
    let sessionExpiresSec = this.#options.sessionExpiresSec ?? 0;

    const newRequest = (firstCSeq: number): AuthenticatedRequest =>
      new AuthenticatedRequest({
        stack,
        nonces: this.#nonces,
        scope: trunk.name,
        credentials: trunkCredentials(trunk),
        firstChallenge: this.#firstChallenge,
        remote,
        firstCSeq,
        logger: callLogger,
        build: (cseq) => {
          const headers = new SipHeaders();
          headers.append('Max-Forwards', '70');
          headers.append('From', from);
          headers.append('To', `<${options.uri}>`);
          headers.append('Call-ID', callId);
          headers.append('CSeq', `${cseq} INVITE`);
          headers.append('Contact', contact);
          headers.append('Allow', ALLOWED_METHODS);
          headers.append('Supported', 'timer');
          if (sessionExpiresSec > 0) {
            headers.append('Session-Expires', `${sessionExpiresSec};refresher=uac`);
            headers.append('Min-SE', String(Math.min(90, sessionExpiresSec)));
          }
          headers.append('User-Agent', this.#userAgent);
          if (options.callerId !== undefined) {
            headers.append('P-Asserted-Identity', `<${callerIdUri(options.callerId, trunk.domain)}>`);
          }
          for (const [name, value] of Object.entries(options.headers ?? {})) headers.append(name, value);
          headers.append('Content-Type', 'application/sdp');
          lastInvite = createRequest('INVITE', options.uri, headers, sdp);
          return lastInvite;
        },
        onProvisional: (response) => {
          const afterMs = Math.round(performance.now() - startedPerf);
          if (postDialDelayMs === undefined && (response.status === 180 || response.status === 183))
            postDialDelayMs = afterMs;
          const early = response.body.length > 0 ? { sdp: response.body.toString('utf8') } : {};
          try {
            options.onProvisional?.({ status: response.status, reason: response.reason, afterMs, ...early });
            if (options.onDialog && lastInvite && earlyFor !== lastInvite) {
              earlyFor = lastInvite;
              options.onDialog(earlySnapshot(lastInvite, trunk.name, remote));
            }
          } catch (error) {
            callLogger.warn({ err: error, callId }, 'onProvisional listener threw');
          }
        },
        onLate2xx: (response) => this.#onLate2xx(response, callId, fromTag),
      });
    let request = newRequest(1);

    let cancelCause: 'ring-timeout' | 'aborted' | undefined;
    const cancel = (cause: 'ring-timeout' | 'aborted'): void => {
      if (cancelCause) return;
      cancelCause = cause;
      callLogger.debug({ cause, callId }, 'cancelling INVITE');
      request.cancel();
    };
    const ringTimer = this.#clock.setTimer(options.ringTimeoutMs, () => cancel('ring-timeout'));
    const onAbort = (): void => cancel('aborted');
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    this.#pending.add(request);
    callLogger.debug({ uri: options.uri, callId }, 'INVITE');

    try {
      let result = await request.run();
      const minSe = result.response.status === 422 ? minSessionExpires(result.response) : undefined;
      if (minSe !== undefined && minSe > sessionExpiresSec && !cancelCause) {
        // RFC 4028 §7.4: ask again with the interval the carrier can live with, once.
        sessionExpiresSec = minSe;
        this.#pending.delete(request);
        request = newRequest(result.cseq + 1);
        this.#pending.add(request);
        result = await request.run();
      }
      const { response } = result;
      if (response.status >= 200 && response.status < 300) {
        const leg = this.#establish({
          trunk,
          invite: result.request,
          response,
          remote,
          transport,
          contact,
          localSdp: options.sdp,
          logger: callLogger,
          timings: {
            inviteSentAt: startedAt,
            setupMs: Math.round(performance.now() - startedPerf),
            invitesSent: result.sent,
            ...(postDialDelayMs !== undefined ? { postDialDelayMs } : {}),
          },
        });
        recent.handledTags.add(leg.dialog.remoteTag);
        if (cancelCause) {
          // The 200 crossed our CANCEL: the callee picked up as we gave up. ACKed; now BYE.
          await leg.hangup(cancelCause);
          throw new SipFailure({
            status: 487,
            reason: 'Request Terminated',
            phase: 'ringing',
            local: true,
            cancelCause,
          });
        }
        try {
          options.onDialog?.(confirmedSnapshot(leg.dialog, result.request, trunk.name, remote));
        } catch (error) {
          callLogger.warn({ err: error, callId }, 'onDialog listener threw');
        }
        return leg;
      }
      if (response.status === 401 || response.status === 407) {
        throw failureFromResponse(response, 'auth', { afterCredentials: result.credentialsSent });
      }
      throw failureFromResponse(response, result.heardRinging ? 'ringing' : 'setup', {
        cancelCause: response.status === 487 ? cancelCause : undefined,
        afterCredentials: result.credentialsSent,
      });
    } catch (error) {
      if (error instanceof SipFailure && cancelCause && error.cancelCause === undefined && error.local) {
        throw new SipFailure({
          status: error.status,
          reason: error.reason,
          phase: error.phase,
          local: true,
          cancelCause,
          cause: error,
        });
      }
      throw error;
    } finally {
      ringTimer.cancel();
      options.signal?.removeEventListener('abort', onAbort);
      this.#pending.delete(request);
      recent.forget = this.#clock.setTimer(Math.max(64 * this.#timers.t1, 32_000), () => {
        if (this.#recentInvites.get(recentKey) === recent) this.#recentInvites.delete(recentKey);
      });
    }
  }

  async endOrphanDialog(snapshot: DialogSnapshot, trunk: SipTrunk): Promise<OrphanDialogEnd> {
    await this.start();
    const stack = this.#requireStack();
    const peer: RemoteAddress = {
      transport: snapshot.transport,
      address: snapshot.peer.address,
      port: snapshot.peer.port,
    };
    if (snapshot.state === 'early') {
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
    const dialog = dialogOfSnapshot(
      snapshot,
      this.#contact(trunk.username, snapshot.transport),
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

  #establish(input: {
    trunk: SipTrunk;
    invite: SipRequest;
    response: SipResponse;
    remote: RemoteAddress;
    transport: TransportKind;
    contact: string;
    localSdp: string;
    logger: Logger;
    timings: EmbeddedCallLeg['timings'];
  }): EmbeddedCallLeg {
    const { invite, response } = input;
    const stack = this.#requireStack();
    const to = response.headers.get('To') ?? '';
    const remoteTag = parseNameAddr(to).params.get('tag') ?? '';
    const from = invite.headers.get('From') ?? '';
    const localTag = parseNameAddr(from).params.get('tag') ?? '';
    const contactHeader = response.headers.get('Contact');
    const remoteTarget = contactHeader !== undefined ? parseNameAddr(contactHeader).uri : invite.uri;
    const cseq = Number((invite.headers.get('CSeq') ?? '1').split(/\s+/)[0]);
    const dialog = new Dialog({
      callId: invite.headers.get('Call-ID') ?? '',
      localTag,
      remoteTag,
      localParty: from,
      remoteParty: to,
      remoteTarget,
      routeSet: [...response.headers.getAll('Record-Route')].reverse(),
      localCSeq: cseq,
      transport: input.transport,
      contact: input.contact,
      userAgent: this.#userAgent,
    });
    // ACK for 2xx is its own transaction (§13.2.2.4), carries the INVITE's credentials (§22.1),
    // and goes where the dialog says, not necessarily where the INVITE went.
    const ack = dialog.buildRequest('ACK', cseq);
    for (const name of ['Authorization', 'Proxy-Authorization']) {
      for (const value of invite.headers.getAll(name)) ack.headers.append(name, value);
    }
    let ackBytes: Buffer | undefined;
    let ackRemote: RemoteAddress = input.remote;
    const sendAck = async (): Promise<void> => {
      if (!ackBytes) {
        ackRemote = await this.#resolveHop(dialog, input.remote);
        // The route set's first hop (or the Contact) is the dialog's peer too.
        peers.push(ackRemote);
        ack.headers.prepend(
          'Via',
          `SIP/2.0/${ackRemote.transport.toUpperCase()} ${stack.sentBy(ackRemote.transport)};rport;branch=z9hG4bK${newTag()}${newTag()}`,
        );
        ackBytes = serializeMessage(ack);
      }
      await stack.send(ackBytes, ackRemote);
    };
    const peers: RemoteAddress[] = [input.remote];
    this.#legPeers.set(dialog.key, peers);
    const logAckFailure = (error: unknown): void =>
      input.logger.warn({ err: error, callId: dialog.callId }, 'ACK could not be sent');
    void sendAck().catch(logAckFailure);

    const context: CallLegContext = {
      logger: input.logger,
      clock: this.#clock,
      t1: this.#timers.t1,
      t2: this.#timers.t2,
      respond: (request, remote, status, reason, extra) =>
        this.#respond(request, remote, status, reason, extra),
      resend: (bytes, remote) => void stack.send(bytes, remote).catch(logAckFailure),
      request: (d, method, extra) => this.#requestInDialog(d, method, input.remote, extra),
      reAck: () => void sendAck().catch(logAckFailure),
      released: (leg) => {
        if (this.#legs.get(leg.dialog.key) !== leg) return;
        this.#legs.delete(leg.dialog.key);
        this.#dialogTrunks.delete(leg.dialog.key);
        this.#legPeers.delete(leg.dialog.key);
      },
    };
    const leg = new EmbeddedCallLeg({
      dialog,
      context,
      localSdp: input.localSdp,
      remoteSdp: response.body.toString('utf8'),
      timings: input.timings,
      answer: response,
    });
    this.#legs.set(dialog.key, leg);
    this.#dialogTrunks.set(dialog.key, input.trunk);
    return leg;
  }

  async #requestInDialog(
    dialog: Dialog,
    method: string,
    fallback: RemoteAddress,
    extra: { headers?: Array<[string, string]>; sdp?: string } = {},
  ): Promise<SipResponse> {
    const remote = await this.#resolveHop(dialog, fallback);
    const trunkScope = this.#scopeOfDialog(dialog);
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
    if (isIP(hop.host) !== 0) return { transport: hop.transport, address: hop.host, port: hop.port ?? 5060 };
    try {
      const target = hop.port !== undefined ? `${bracket(hop.host)}:${hop.port}` : hop.host;
      const [first] = await this.#targets.resolve(target, hop.transport);
      if (first) return { transport: hop.transport, address: first.address, port: first.port };
    } catch (error) {
      this.#logger.debug(
        { err: error, host: hop.host },
        'in-dialog next hop did not resolve; using the INVITE target',
      );
    }
    return fallback;
  }

  async #resolveTrunk(trunk: SipTrunk): Promise<RemoteAddress> {
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

  #contact(user: string | undefined, transport: TransportKind): string {
    const stack = this.#requireStack();
    const userPart = user ? `${user}@` : '';
    return `<sip:${userPart}${stack.sentBy(transport)}${transport === 'tcp' ? ';transport=tcp' : ''}>`;
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

  #respond(
    request: SipRequest,
    remote: RemoteAddress,
    status: number,
    reason: string,
    extra: { headers?: Array<[string, string]>; sdp?: string; withVersion?: boolean } = {},
  ): Buffer | undefined {
    const stack = this.#stack;
    if (!stack) return undefined;
    const product: Array<[string, string]> =
      extra.withVersion === false ? [] : [['User-Agent', this.#userAgent]];
    const response = buildResponse(request, status, reason, {
      toTag: newTag(),
      headers: [...product, ...(extra.headers ?? [])],
      ...(extra.sdp !== undefined
        ? { body: { contentType: 'application/sdp', data: Buffer.from(extra.sdp, 'utf8') } }
        : {}),
    });
    const bytes = serializeMessage(response);
    const key = ServerResponseCache.keyOf(request);
    if (key) this.#responses?.remember(key, bytes, remote);
    void stack
      .send(bytes, remote)
      .catch((error: unknown) => this.#logger.debug({ err: error }, 'response could not be sent'));
    return bytes;
  }

  #onRequest(request: SipRequest, remote: RemoteAddress): void {
    if (request.method !== 'ACK') {
      const key = ServerResponseCache.keyOf(request);
      const cached = key ? this.#responses?.lookup(key) : undefined;
      if (cached) {
        void this.#stack?.send(cached.bytes, cached.remote).catch(() => undefined);
        return;
      }
    }
    const callId = request.headers.get('Call-ID') ?? '';
    const toTag = parseNameAddr(request.headers.get('To') ?? '').params.get('tag');
    const leg = toTag ? this.#legs.get(dialogKey(callId, toTag)) : undefined;
    if (leg) {
      if (!this.#isLegPeer(leg.dialog.key, remote)) {
        // A stranger who learnt the Call-ID and tags must not end or change a billed call.
        this.#spoofed?.record('request', remote, { callId, what: request.method });
        if (request.method !== 'ACK')
          this.#respond(request, remote, 403, 'Forbidden', { withVersion: false });
        return;
      }
      leg.handleRequest(request, remote);
      return;
    }
    // Strangers learn nothing about what runs here: no User-Agent (product and version) for them.
    const withVersion = this.#isTrunkAddress(remote);
    switch (request.method) {
      case 'ACK':
        return;
      case 'OPTIONS':
        // Carriers ping registered contacts; answering keeps the trunk marked alive. Anyone else
        // gets 200 too, but without User-Agent: a carrier may ping from an address its DNS does not
        // name (a monitoring node, another SBC of the pool), and a 403 there would mark the trunk
        // down; a bare 200 tells a scanner only that something speaks SIP, which the port does.
        this.#respond(request, remote, 200, 'OK', {
          headers: [
            ['Allow', ALLOWED_METHODS],
            ['Accept', 'application/sdp'],
          ],
          withVersion,
        });
        return;
      case 'INVITE':
        if (toTag) this.#respond(request, remote, 481, 'Call/Transaction Does Not Exist', { withVersion });
        else this.#respond(request, remote, 480, 'Temporarily Unavailable', { withVersion });
        return;
      case 'NOTIFY':
        // Unsolicited NOTIFY (message-summary) from some carriers: accept and ignore.
        this.#respond(request, remote, toTag ? 481 : 200, toTag ? 'Call/Transaction Does Not Exist' : 'OK', {
          withVersion,
        });
        return;
      case 'BYE':
      case 'CANCEL':
      case 'UPDATE':
      case 'INFO':
        this.#respond(request, remote, 481, 'Call/Transaction Does Not Exist', { withVersion });
        return;
      default:
        this.#respond(request, remote, 405, 'Method Not Allowed', {
          headers: [['Allow', ALLOWED_METHODS]],
          withVersion,
        });
    }
  }

  /** A 2xx after the INVITE transaction ended: re-ACK its dialog, or ACK and BYE an unknown fork. */
  #onStray2xx(response: SipResponse, source: RemoteAddress): void {
    const callId = response.headers.get('Call-ID') ?? '';
    const fromTag = parseNameAddr(response.headers.get('From') ?? '').params.get('tag') ?? '';
    this.#onLate2xx(response, callId, fromTag, source);
  }

  /**
   * `source` is where a 2xx no transaction claimed came from; absent when a transaction passed
   * it up (the stack checked its source then).
   */
  #onLate2xx(response: SipResponse, callId: string, fromTag: string, source?: RemoteAddress): void {
    const key = dialogKey(callId, fromTag);
    const leg = this.#legs.get(key);
    const recent = this.#recentInvites.get(key);
    if (source !== undefined) {
      // A forged 2xx would otherwise make us ACK (and BYE) wherever its Contact points.
      const fromPeer =
        this.#isTrunkAddress(source) ||
        (leg !== undefined && this.#isLegPeer(key, source)) ||
        (recent !== undefined && isSamePeer(source, recent.remote));
      if (!fromPeer) {
        this.#spoofed?.record('response', source, { callId, what: `${response.status} INVITE` });
        return;
      }
    }
    const remoteTag = parseNameAddr(response.headers.get('To') ?? '').params.get('tag');
    if (leg && leg.dialog.remoteTag === remoteTag) {
      leg.handleRetransmitted2xx();
      return;
    }
    const invite = recent?.invite();
    if (recent === undefined || invite === undefined || remoteTag === undefined || remoteTag === null) {
      this.#logger.debug({ callId, remoteTag }, '2xx for no INVITE of ours; ignored');
      return;
    }
    // Retransmissions of a 2xx already ended here find no leg once its BYE is done: once is enough.
    if (recent.handledTags.has(remoteTag)) return;
    recent.handledTags.add(remoteTag);
    this.#lateAnswersEnded += 1;
    recent.logger.info(
      { callId, remoteTag },
      'answered after we gave up on the INVITE (crossed our CANCEL or timeout, or a second fork): ACK and BYE',
    );
    const late = this.#establish({
      trunk: recent.trunk,
      invite,
      response,
      remote: recent.remote,
      transport: recent.transport,
      contact: recent.contact,
      localSdp: '',
      logger: recent.logger,
      timings: { inviteSentAt: Date.now(), setupMs: 0, invitesSent: 1 },
    });
    void late.hangup('late-2xx');
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    for (const request of this.#pending) request.cancel();
    for (const recent of this.#recentInvites.values()) recent.forget?.cancel();
    this.#recentInvites.clear();
    await Promise.allSettled([...this.#legs.values()].map((leg) => leg.hangup('shutdown')));
    await Promise.allSettled([...this.#registrations.values()].map((r) => r.unregister()));
    this.#stack?.close();
    this.#responses?.close();
    await Promise.allSettled([...this.#transports.values()].map((t) => t.close()));
  }
}

/** An INVITE of the last 64·T1, kept to end a 2xx that comes for it late. */
interface RecentInvite {
  readonly trunk: SipTrunk;
  readonly remote: RemoteAddress;
  readonly transport: TransportKind;
  readonly contact: string;
  readonly logger: Logger;
  readonly invite: () => SipRequest | undefined;
  /** To tags already ACKed: the answered leg's, and each late one ended. */
  readonly handledTags: Set<string>;
  forget?: TimerHandle;
}

/** The Min-SE of a 422, when it is a sane number of seconds. */
function minSessionExpires(response: SipResponse): number | undefined {
  const value = Number(/^\s*(\d{1,6})/.exec(response.headers.get('Min-SE') ?? '')?.[1]);
  return Number.isInteger(value) && value >= 1 && value <= 86_400 ? value : undefined;
}

/** Key of a trunk address; TCP leaves the port out (see isSamePeer). */
function peerKey(remote: RemoteAddress): string {
  const address = remote.address.startsWith('::ffff:')
    ? remote.address.slice(7)
    : remote.address.toLowerCase();
  return remote.transport === 'tcp' ? `tcp|${address}` : `udp|${address}|${remote.port}`;
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
