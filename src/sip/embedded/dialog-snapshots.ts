import type { DialogSnapshot } from '../dialog-snapshot.js';
import { Dialog } from './dialog.js';
import { parseCSeq } from './message/parse-cseq.js';
import { createRequest, SipHeaders, type SipRequest } from './message/sip-message.js';
import type { RemoteAddress } from './transport/sip-transport.js';

/** The INVITE as sent (with its Via), once it has a provisional answer: what a CANCEL needs. */
export function earlySnapshot(invite: SipRequest, trunk: string, peer: RemoteAddress): DialogSnapshot {
  const cseq = parseCSeq(invite.headers.get('CSeq') ?? '').seq;
  return {
    v: 1,
    state: 'early',
    trunk,
    callId: invite.headers.get('Call-ID') ?? '',
    localParty: invite.headers.get('From') ?? '',
    remoteParty: invite.headers.get('To') ?? '',
    requestUri: invite.uri,
    inviteCSeq: cseq,
    inviteVia: invite.headers.get('Via') ?? '',
    inviteRoutes: invite.headers.getAll('Route'),
    localCSeq: cseq,
    transport: peer.transport,
    peer: { address: peer.address, port: peer.port },
    at: Date.now(),
  };
}

/** The dialog a 2xx made: what a BYE needs. */
export function confirmedSnapshot(
  dialog: Dialog,
  invite: SipRequest,
  trunk: string,
  peer: RemoteAddress,
): DialogSnapshot {
  return {
    ...earlySnapshot(invite, trunk, peer),
    state: 'confirmed',
    remoteParty: dialog.remoteParty,
    remoteTarget: dialog.remoteTarget,
    routeSet: dialog.routeSet,
    localCSeq: dialog.localCSeq,
  };
}

/**
 * The dialog again, in this process. Its CSeq jumps well past the snapshot's: the process that
 * wrote it may have sent refreshes since, and a BYE must carry a higher number (§12.2.1.1).
 */
export function dialogOfSnapshot(snapshot: DialogSnapshot, contact: string, userAgent: string): Dialog {
  const remoteTag = /;\s*tag=([^;>\s]+)/i.exec(snapshot.remoteParty)?.[1] ?? '';
  const localTag = /;\s*tag=([^;>\s]+)/i.exec(snapshot.localParty)?.[1] ?? '';
  return new Dialog({
    callId: snapshot.callId,
    localTag,
    remoteTag,
    localParty: snapshot.localParty,
    remoteParty: snapshot.remoteParty,
    remoteTarget: snapshot.remoteTarget ?? snapshot.requestUri,
    routeSet: snapshot.routeSet ?? [],
    localCSeq: snapshot.localCSeq + 100,
    transport: snapshot.transport,
    contact,
    userAgent,
  });
}

/**
 * RFC 3261 §9.1 CANCEL for the snapshot's INVITE, carrying the INVITE's own top Via: the carrier
 * matches it to its transaction by that Via's branch and sent-by, so it cannot be ours.
 */
export function cancelOfSnapshot(snapshot: DialogSnapshot): SipRequest {
  const headers = new SipHeaders();
  headers.append('Via', snapshot.inviteVia);
  headers.append('Max-Forwards', '70');
  for (const route of snapshot.inviteRoutes) headers.append('Route', route);
  headers.append('From', snapshot.localParty);
  headers.append('To', snapshot.remoteParty);
  headers.append('Call-ID', snapshot.callId);
  headers.append('CSeq', `${snapshot.inviteCSeq} CANCEL`);
  return createRequest('CANCEL', snapshot.requestUri, headers);
}

/**
 * The snapshot's INVITE as far as a 2xx to it needs (From, To, Call-ID, CSeq, Request-URI): what
 * the dialog of a late answer is built from when the process that sent the INVITE is gone.
 */
export function inviteOfSnapshot(snapshot: DialogSnapshot): SipRequest {
  const headers = new SipHeaders();
  headers.append('Via', snapshot.inviteVia);
  for (const route of snapshot.inviteRoutes) headers.append('Route', route);
  headers.append('From', snapshot.localParty);
  headers.append('To', snapshot.remoteParty);
  headers.append('Call-ID', snapshot.callId);
  headers.append('CSeq', `${snapshot.inviteCSeq} INVITE`);
  return createRequest('INVITE', snapshot.requestUri, headers);
}
