import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../src/core/errors.js';
import { FixCommands } from '../../src/diagnose/commands.js';
import { BUNDLED_PROBE, resolveDiagnoseSettings } from '../../src/diagnose/settings.js';

const NO_ENV = {};

describe('idx diagnose settings', () => {
  it('--host H means Redis at H:6379 and Qdrant at H:6333', () => {
    const { config } = resolveDiagnoseSettings({ host: 'db.internal' }, NO_ENV);
    expect(config.redisUrl).toBe('redis://db.internal:6379');
    expect(config.qdrantUrl).toBe('http://db.internal:6333');

    const v6 = resolveDiagnoseSettings({ host: '::1' }, NO_ENV).config;
    expect(v6.redisUrl).toBe('redis://[::1]:6379');
  });

  it('a URL flag wins over --host, and --host wins over the environment', () => {
    const env = { REDIS_URL: 'redis://from-env:6379', QDRANT_URL: 'http://from-env:6333' };
    const { config } = resolveDiagnoseSettings(
      { host: '10.0.0.5', qdrantUrl: 'http://qdrant.invalid:7000' },
      env,
    );
    expect(config.redisUrl).toBe('redis://10.0.0.5:6379');
    expect(config.qdrantUrl).toBe('http://qdrant.invalid:7000');
  });

  it('without Qdrant settings the embedded store is checked; the bundled probe is the default image', () => {
    const settings = resolveDiagnoseSettings({}, NO_ENV);
    expect(settings.config.qdrantUrl).toBeUndefined();
    expect(settings.image).toBe(BUNDLED_PROBE);
    expect(settings.timeoutMs).toBe(30_000);
  });

  it('refuses bad arguments with a ConfigError (exit code 2)', () => {
    for (const flags of [
      { timeout: '0' },
      { timeout: 'x' },
      { host: 'a b' },
      { image: '/no/such.jpg' },
    ]) {
      expect(() => resolveDiagnoseSettings(flags, NO_ENV)).toThrow(ConfigError);
    }
  });

  it('collects passwords and keys to mask, and fix commands never spell them out', () => {
    const settings = resolveDiagnoseSettings(
      {
        redisUrl: 'redis://:p%40ss-word@h.invalid:6379',
        qdrantUrl: 'http://q.invalid:6333',
        qdrantApiKey: 'key-123456',
      },
      NO_ENV,
    );
    expect(settings.secrets).toEqual(
      expect.arrayContaining(['p%40ss-word', 'p@ss-word', 'key-123456']),
    );
    const commands = new FixCommands(settings);
    const work = commands.work();
    expect(work).toContain("--redis-url 'redis://:***@h.invalid:6379'");
    expect(work).toContain('--qdrant-api-key "$QDRANT_API_KEY"');
    expect(work).not.toMatch(/ss-word|key-123456/);
    expect(commands.diagnose(['--qdrant-url', 'http://HOST:6333'])).not.toContain('q.invalid');
  });
});
