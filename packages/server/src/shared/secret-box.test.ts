import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { loadOrCreateSecretKey, parseSecretKey, SecretBox } from './secret-box.js';

describe('secret box', () => {
  const key = Buffer.alloc(32, 7);

  it('encrypts with AES-256-GCM (a fresh IV each time) and detects tampering', () => {
    const box = new SecretBox(key);
    const a = box.encrypt('webhook secret');
    expect(a).toMatch(/^v1:/);
    expect(a).not.toContain('webhook');
    expect(box.encrypt('webhook secret')).not.toBe(a);
    expect(box.decrypt(a)).toBe('webhook secret');
    const [v, iv, tag, data] = a.split(':');
    const flipped = Buffer.from(data!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => box.decrypt([v, iv, tag, flipped.toString('base64url')].join(':'))).toThrow();
    expect(() => new SecretBox(Buffer.alloc(32, 8)).decrypt(a)).toThrow();
  });

  it('derives stable tokens per purpose', () => {
    const box = new SecretBox(key);
    expect(box.derive('slwcb', 'a')).toBe(box.derive('slwcb', 'a'));
    expect(box.derive('slwcb', 'a')).not.toBe(box.derive('slwcb', 'b'));
    expect(box.derive('slwcb', 'a')).toMatch(/^slwcb_[A-Za-z0-9_-]{43}$/);
  });

  it('creates <dataDir>/secret.key once, mode 600, and reads it back', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-key-'));
    try {
      const first = loadOrCreateSecretKey(dir);
      expect(fs.statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
      expect(loadOrCreateSecretKey(dir).equals(first)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes SLIPWAY_SECRET_KEY as hex or base64 and refuses anything else, naming the variable', () => {
    expect(parseSecretKey('ab'.repeat(32))?.length).toBe(32);
    expect(parseSecretKey(Buffer.alloc(32, 1).toString('base64'))?.length).toBe(32);
    expect(loadConfig({ SLIPWAY_SECRET_KEY: 'cd'.repeat(32) }).secretKey?.toString('hex')).toBe('cd'.repeat(32));
    expect(loadConfig({}).secretKey).toBeNull();
    for (const bad of ['short', 'zz'.repeat(32), 'ab'.repeat(31)]) {
      expect(() => loadConfig({ SLIPWAY_SECRET_KEY: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ SLIPWAY_SECRET_KEY: bad })).toThrow(/^SLIPWAY_SECRET_KEY: /);
    }
    expect(() => loadConfig({ SLIPWAY_DEPLOY_LEASE_MS: '10' })).toThrow(/^SLIPWAY_DEPLOY_LEASE_MS: /);
  });
});
