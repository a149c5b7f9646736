import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../src/core/errors.js';
import { chooseThreads } from '../../src/embed/threads.js';

describe('chooseThreads', () => {
  it('gives one worker every core', () => {
    expect(chooseThreads({ cores: 8 })).toBe(8);
  });

  it('shares the cores between workers, at least one thread each', () => {
    expect(chooseThreads({ cores: 8, workersOnHost: 3 })).toBe(2);
    expect(chooseThreads({ cores: 2, workersOnHost: 4 })).toBe(1);
  });

  it('lets an explicit value win', () => {
    expect(chooseThreads({ threads: 3, cores: 2, workersOnHost: 2 })).toBe(3);
  });

  it('uses the machine when nothing is given', () => {
    expect(chooseThreads()).toBeGreaterThanOrEqual(1);
  });

  it('rejects values that are not positive integers', () => {
    expect(() => chooseThreads({ threads: 0 })).toThrow(ConfigError);
    expect(() => chooseThreads({ threads: 1.5 })).toThrow(/threads must be a positive integer/);
    expect(() => chooseThreads({ workersOnHost: -1 })).toThrow(/workersOnHost/);
  });
});
