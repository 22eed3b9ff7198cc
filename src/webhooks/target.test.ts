import { describe, expect, it } from 'vitest';
import { addressProblem, checkTarget, parseTargetUrl } from './target.ts';

describe('webhook targets', () => {
  it.each([
    ['93.184.215.14', null],
    ['2606:4700::6810:84e5', null],
    ['127.0.0.1', '127.0.0.1 is a loopback address'],
    ['::1', '::1 is a loopback address'],
    ['10.1.2.3', '10.1.2.3 is a private address'],
    ['172.16.0.1', '172.16.0.1 is a private address'],
    ['192.168.1.1', '192.168.1.1 is a private address'],
    ['169.254.169.254', '169.254.169.254 is a link-local address'],
    ['fe80::1', 'fe80::1 is a link-local address'],
    ['fd00::1', 'fd00::1 is a private (unique local) address'],
    ['0.0.0.0', '0.0.0.0 is the unspecified address'],
    ['::ffff:127.0.0.1', '::ffff:127.0.0.1 is a loopback address'],
    ['100.64.0.1', '100.64.0.1 is a carrier-grade NAT address'],
  ])('%s: %j', (address, problem) => {
    expect(addressProblem(address)).toBe(problem);
  });

  it('refuses a loopback or private target, by address or by a name that resolves to one, unless allowed', async () => {
    await expect(checkTarget(parseTargetUrl('http://127.0.0.1:8080/hook'), false)).rejects.toMatchObject({
      status: 400,
      code: 'webhook_target_refused',
      message: 'The webhook URL is refused: 127.0.0.1 is a loopback address, which a webhook may not reach (set WEBHOOK_ALLOW_PRIVATE_TARGETS=true on a closed network).',
    });
    await expect(checkTarget(parseTargetUrl('http://[::1]/hook'), false)).rejects.toMatchObject({ code: 'webhook_target_refused' });
    await expect(checkTarget(parseTargetUrl('http://localhost/hook'), false)).rejects.toMatchObject({ message: expect.stringMatching(/^The webhook URL is refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address, which/) });
    await expect(checkTarget(parseTargetUrl('http://127.0.0.1:8080/hook'), true)).resolves.toBeUndefined();
  });

  it('takes only http(s) URLs', () => {
    expect(() => parseTargetUrl('ftp://example.com/')).toThrow('The webhook URL must start with https:// (or http://).');
    expect(() => parseTargetUrl('not a url')).toThrow('The webhook URL is not a URL: "not a url".');
  });
});
