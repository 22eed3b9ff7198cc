import { describe, expect, it, vi } from 'vitest';
import { StateTracker, visibleState, type FileState } from './file-state.ts';
import type { RetryWait } from './retry.ts';

const uploading: FileState = { status: 'uploading', resumedBytes: 0 };
const offline: RetryWait = { reason: 'offline' };
const network: RetryWait = { reason: 'network', attempt: 1, delayMs: 800 };
const server: RetryWait = { reason: 'server', attempt: 2, delayMs: 1500 };

describe('visibleState', () => {
  it.each<[string, FileState, RetryWait[], FileState]>([
    ['the step, with no waits', uploading, [], uploading],
    ['a retry', uploading, [network], { status: 'retrying', reason: 'network', attempt: 1, delayMs: 800 }],
    ['the latest of several retries', uploading, [network, server], { status: 'retrying', reason: 'server', attempt: 2, delayMs: 1500 }],
    ['offline, when any request waits for the network', uploading, [network, offline], { status: 'offline' }],
    ['a retry before the upload started', { status: 'queued' }, [server], { status: 'retrying', reason: 'server', attempt: 2, delayMs: 1500 }],
    ['a retry of the completion', { status: 'completing' }, [server], { status: 'retrying', reason: 'server', attempt: 2, delayMs: 1500 }],
    ['a pause, whatever still waits', { status: 'paused' }, [network], { status: 'paused' }],
    ['a failure, whatever still waits', { status: 'failed', message: 'x' }, [offline], { status: 'failed', message: 'x' }],
  ])('%s', (_, step, waits, expected) => {
    expect(visibleState(step, waits)).toEqual(expected);
  });
});

describe('StateTracker', () => {
  it('announces the visible state only when it changes, and keeps the step under the waits', () => {
    const onChange = vi.fn();
    const tracker = new StateTracker(onChange);
    expect(tracker.state).toEqual({ status: 'queued' });
    tracker.enter(uploading);
    tracker.enter({ status: 'uploading', resumedBytes: 0 });
    expect(onChange).toHaveBeenCalledTimes(1);
    tracker.wait(1, network);
    tracker.wait(2, network);
    expect(tracker.state).toEqual({ status: 'retrying', ...network });
    expect(tracker.step).toEqual(uploading);
    expect(onChange).toHaveBeenCalledTimes(2);
    tracker.wait(1, null);
    tracker.wait(2, null);
    expect(tracker.state).toEqual(uploading);
    expect(onChange).toHaveBeenCalledTimes(3);
  });
});
