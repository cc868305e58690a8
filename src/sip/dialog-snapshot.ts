/**
 * What another process needs to end a call this one placed, should this one die: enough to
 * CANCEL the INVITE while it rings, or to send BYE in the dialog once it is answered
 * (RFC 3261 §9.1, §12.2.1.1, §15.1.1). Plain JSON: workers keep it in Redis.
 */
export interface DialogSnapshot {
  readonly v: 1;
  /** `early`: the INVITE has a provisional answer (CANCEL ends it); `confirmed`: 2xx ACKed (BYE). */
  readonly state: 'early' | 'confirmed';
  readonly trunk: string;
  readonly callId: string;
  /** Our From header value, with its tag. */
  readonly localParty: string;
  /** Their To header value: without a tag while early, with the 2xx's tag once confirmed. */
  readonly remoteParty: string;
  /** The INVITE's Request-URI. */
  readonly requestUri: string;
  /** The CSeq number of the INVITE that got the answer. */
  readonly inviteCSeq: number;
  /** The INVITE's top Via, verbatim: a CANCEL must carry it to match the carrier's transaction. */
  readonly inviteVia: string;
  /** The Route headers the INVITE carried (a CANCEL repeats them). */
  readonly inviteRoutes: readonly string[];
  /** Contact of the 2xx (confirmed). */
  readonly remoteTarget?: string;
  /** Record-Route of the 2xx, reversed (confirmed). */
  readonly routeSet?: readonly string[];
  /** Highest CSeq number we used in the dialog so far. */
  readonly localCSeq: number;
  readonly transport: 'udp' | 'tcp' | 'tls';
  /** Where the INVITE was sent. */
  readonly peer: { readonly address: string; readonly port: number };
  /** ms since the epoch. */
  readonly at: number;
}

/** How an orphaned dialog was ended by `SipEngine.endOrphanDialog`. */
export interface OrphanDialogEnd {
  readonly method: 'BYE' | 'CANCEL';
  /**
   * The carrier's answer to the BYE (200, or 481 when the call was already gone). A CANCEL's
   * answer goes to the Via of the dead process, so it is never known here.
   */
  readonly status?: number;
}

export interface OrphanEndOptions {
  /** An early dialog CANCELled here was in fact answered: its 2xx came here and was hung up. */
  readonly onAnswered?: () => void;
}
