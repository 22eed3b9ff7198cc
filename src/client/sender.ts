/**
 * How a file's bytes reach the store once the server has an upload for it: the contract
 * between `FileUpload` (which finds or creates the upload, completes it, and shows its state
 * and progress) and each way of sending: `PartsSender` (parts, or one plain PUT as a plan of
 * one part) and `ContinuedPutSender` (the local store's PUT that goes on after a cut). A new
 * way of sending is one more `Sender`, chosen from the server's ticket.
 */
import type { CompleteUploadBody } from '../shared/api.ts';
import type { PartRange } from '../shared/plan.ts';
import type { ApiClient } from './api.ts';
import type { PartQueue } from './part-queue.ts';
import type { Recovery } from './recovery.ts';
import type { Requester } from './retry.ts';
import type { Transport } from './transport.ts';

/** A part of the plan and what the store holds of it: the file's progress is derived from these. */
export interface SentPart extends PartRange {
  /** Bytes sent by the current attempt; the part's whole size once the store holds it. */
  sent: number;
  done: boolean;
}

/** A part as the completion lists it. */
export type CompletedPart = CompleteUploadBody['parts'][number];

export interface Sender {
  /** Every part of the plan, in order, updated as bytes go. */
  readonly parts: readonly SentPart[];
  /**
   * Sends what the store lacks, and resolves with the parts to complete the upload with (none
   * for a single PUT). Rejects with `SplitIntoParts` when the file should go on in parts
   * instead, with an `UploadFailed`, or with the signal's reason; a later call goes on from
   * what the store holds.
   */
  send(signal: AbortSignal): Promise<CompletedPart[]>;
}

/** What a sender gets from its file's upload. */
export interface SendContext {
  uploadId: string;
  blob: Blob;
  /** Lower goes first in the shared queue. */
  priority: number;
  api: Pick<ApiClient, 'signParts' | 'getUpload'>;
  transport: Transport;
  queue: PartQueue;
  recovery: Recovery;
  /** Part URLs asked for in one call. */
  signBatchSize: number;
  partMd5?: (part: Blob) => Promise<string>;
  /** How long a part of `bytes` should take to send on this link, in ms (`expectedSendMs` in link-plan.ts). */
  sendTimeMs(bytes: number): number;
  /** Runs a request with the upload's retries (the part number as its `waitKey`). */
  request: Requester;
  /** A part is about to go. */
  onSending(): void;
  /** A part's bytes changed. */
  onProgress(): void;
}

/** The bytes the store holds or is receiving now. */
export function loadedOf(parts: readonly SentPart[]): number {
  let loaded = 0;
  for (const part of parts) loaded += part.sent;
  return loaded;
}
