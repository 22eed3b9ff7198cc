import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

const made: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'airlift-config-'));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['false', false],
    ['0', false],
    ['true', true],
    ['TRUE', true],
    ['1', 1],
    ['32', 32],
    ['10.0.0.1', ['10.0.0.1']],
    [' 10.0.0.0/8 , fd00::/8, 192.168.0.0/255.255.0.0, Loopback ', ['10.0.0.0/8', 'fd00::/8', '192.168.0.0/255.255.0.0', 'loopback']],
  ])('reads TRUST_PROXY=%j as %j', (value, expected) => {
    expect(loadConfig({ DATA_DIR: dataDir(), ...(value !== undefined && { TRUST_PROXY: value }) }).trustProxy).toEqual(expected);
  });

  it('reads METRICS_TOKEN and WEBHOOK_ALLOW_PRIVATE_TARGETS, refusing what they cannot mean', () => {
    const dir = dataDir();
    expect(loadConfig({ DATA_DIR: dir })).toMatchObject({ metricsToken: null, webhookAllowPrivateTargets: false });
    expect(loadConfig({ DATA_DIR: dir, METRICS_TOKEN: ' a-long-enough-token ', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' })).toMatchObject({
      metricsToken: 'a-long-enough-token',
      webhookAllowPrivateTargets: true,
    });
    expect(() => loadConfig({ DATA_DIR: dir, METRICS_TOKEN: 'short' })).toThrow('METRICS_TOKEN must be at least 16 printable characters without spaces.');
    expect(() => loadConfig({ DATA_DIR: dir, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'maybe' })).toThrow('WEBHOOK_ALLOW_PRIVATE_TARGETS must be true or false, got "maybe".');
  });

  it('runs on embedded defaults, and keeps a generated secret in DATA_DIR', () => {
    const dir = dataDir();
    const config = loadConfig({ DATA_DIR: dir });
    expect(config).toMatchObject({ port: 3000, databaseUrl: null, r2: null, uploadUrlExpires: 3600, publicBaseUrl: 'http://localhost:3000' });
    expect(readFileSync(path.join(dir, 'secret.key'), 'utf8').trim()).toBe(config.secretKey);
    expect(loadConfig({ DATA_DIR: dir }).secretKey).toBe(config.secretKey);
  });

  it('selects R2 when all four settings are given, with R2’s defaults', () => {
    const config = loadConfig({
      DATA_DIR: dataDir(),
      R2_ACCESS_KEY_ID: 'id',
      R2_SECRET_ACCESS_KEY: 'secret',
      R2_BUCKET_NAME: 'media',
      R2_ENDPOINT_URL: 'https://acct.r2.cloudflarestorage.com/',
      R2_CDN_DOMAIN: 'https://cdn.example.com/',
    });
    expect(config.r2).toEqual({ accessKeyId: 'id', secretAccessKey: 'secret', bucket: 'media', endpoint: 'https://acct.r2.cloudflarestorage.com', region: 'auto', forcePathStyle: false, cdnDomain: 'cdn.example.com' });
  });

  it('takes UPLOAD_TTL and SWEEP_INTERVAL in seconds, defaulting to a day and 15 minutes; 0 turns periodic sweeps off', () => {
    expect(loadConfig({ DATA_DIR: dataDir() })).toMatchObject({ uploadTtl: 86400, sweepInterval: 900 });
    expect(loadConfig({ DATA_DIR: dataDir(), UPLOAD_TTL: '60', SWEEP_INTERVAL: '0' })).toMatchObject({ uploadTtl: 60, sweepInterval: 0 });
    expect(loadConfig({ DATA_DIR: dataDir(), UPLOAD_TTL: ' 604800 ', SWEEP_INTERVAL: '2073600' })).toMatchObject({ uploadTtl: 604800, sweepInterval: 2073600 });
  });

  it.each([
    [{ R2_ACCESS_KEY_ID: 'id', R2_BUCKET_NAME: 'b' }, /half configured: R2_ACCESS_KEY_ID, R2_BUCKET_NAME are set but R2_SECRET_ACCESS_KEY, R2_ENDPOINT_URL are missing/],
    [{ PORT: 'abc' }, /PORT must be a whole number/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgres:\/\/ URL/],
    [{ UPLOAD_URL_EXPIRES: '999999999' }, /at most 604800/],
    [{ MAX_VIDEO_SIZE: '-5' }, /MAX_VIDEO_SIZE must be a whole number/],
    [{ ALLOWED_VIDEO_TYPES: 'video/mp4,mp4' }, /"mp4", which is not a MIME type/],
    [{ SECRET_KEY: 'short' }, /at least 32 characters/],
    [{ PUBLIC_BASE_URL: 'ftp://x' }, /PUBLIC_BASE_URL must be an http\(s\) URL/],
    [{ UPLOAD_TTL: '59' }, /UPLOAD_TTL must be a whole number of seconds, from 60 \(a minute\) to 604800 \(7 days\); got "59"/],
    [{ UPLOAD_TTL: '604801' }, /UPLOAD_TTL must be .* to 604800 \(7 days\); got "604801"/],
    [{ UPLOAD_TTL: '1h' }, /UPLOAD_TTL must be a whole number of seconds/],
    [{ SWEEP_INTERVAL: '-1' }, /SWEEP_INTERVAL must be a whole number of seconds, from 0 \(no periodic sweep\) to 2073600 \(24 days\); got "-1"/],
    [{ SWEEP_INTERVAL: '2073601' }, /SWEEP_INTERVAL must be .*got "2073601"/],
    [{ SWEEP_INTERVAL: '15.5' }, /SWEEP_INTERVAL must be a whole number of seconds/],
    [{ TRUST_PROXY: 'yes' }, /TRUST_PROXY holds "yes", which is not an IP address or range/],
    [{ TRUST_PROXY: '33' }, /TRUST_PROXY as a hop count must be 1 to 32/],
    [{ TRUST_PROXY: '10.0.0.1, 10.0.0.0/33' }, /TRUST_PROXY holds "10.0.0.0\/33"/],
    [{ TRUST_PROXY: '10.0.0.1,,10.0.0.2' }, /TRUST_PROXY holds ""/],
  ])('stops on %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), ...env })).toThrow(message);
  });
});
