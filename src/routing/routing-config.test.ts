import { describe, expect, it } from 'vitest';
import { STRATEGIES } from '../config/settings.js';
import {
  hybridBucketFrom,
  hybridWeightsFrom,
  strategyOptionsFrom,
  thresholdSettingsOf,
  thresholdSettingValues,
  thresholdsFrom,
} from './routing-config.js';
import { STRATEGY_NAMES } from './strategy.js';

const none = { quotaThreshold5h: 0, quotaThreshold7d: 0, quotaThresholds: '' };

describe('routing settings', () => {
  it('offers every strategy as a setting value', () => {
    expect([...STRATEGIES]).toEqual([...STRATEGY_NAMES]);
  });

  it('reads global, per-family and per-account percents as fractions', () => {
    expect(thresholdsFrom(none)).toBeNull();
    expect(thresholdsFrom({ ...none, quotaThreshold5h: 80 })).toEqual({ global: { fiveHour: 0.8, sevenDay: null } });
    const t = thresholdsFrom({
      ...none,
      quotaThreshold7d: 90,
      quotaThresholds:
        '{"perFamily":{"opus":{"7d":50}},"perAccount":{"work":{"5h":95,"perFamily":{"opus":{"7d":70}}}}}',
    });
    expect(t?.perFamily?.opus).toEqual({ fiveHour: null, sevenDay: 0.5 });
    expect(t?.perAccount?.work?.fiveHour).toBe(0.95);
    expect(t?.perAccount?.work?.perFamily?.opus?.sevenDay).toBe(0.7);
  });

  it('refuses bad threshold JSON and weights with a message that shows the expected shape', () => {
    expect(() => thresholdsFrom({ ...none, quotaThresholds: '{' })).toThrow(/CCFLARE_QUOTA_THRESHOLDS is not JSON/);
    expect(() => thresholdsFrom({ ...none, quotaThresholds: '{"perFamily":{"gpt":{"5h":1}}}' })).toThrow(
      /perFamily.*expected/,
    );
    const problem = (doc: string) => {
      try {
        thresholdsFrom({ ...none, quotaThresholds: doc });
      } catch (e) {
        return (e as Error).message.replace(/^CCFLARE_QUOTA_THRESHOLDS: /, '').replace(/; expected \{.*$/, '');
      }
      return null;
    };
    expect(problem('[1]')).toBe('(top): expected an object');
    expect(problem('{"perFamilly":{}}')).toBe('perFamilly: unknown key (expected perFamily, perAccount)');
    expect(problem('{"perFamily":{"gpt":{"5h":1}}}')).toBe(
      'perFamily.gpt: unknown model family (expected opus, sonnet, haiku)',
    );
    expect(problem('{"perFamily":{"opus":{"5h":1001}}}')).toBe('perFamily.opus.5h: expected a number from 0 to 1000');
    expect(problem('{"perAccount":{"work":{"7d":null}}}')).toBe('perAccount.work.7d: expected a number from 0 to 1000');
    expect(problem('{"perAccount":{"work":{"perFamily":{"haiku":{"5d":1}}}}}')).toBe(
      'perAccount.work.perFamily.haiku.5d: unknown key (expected 5h, 7d)',
    );
    expect(problem('{"perAccount":{"work":"90"}}')).toBe('perAccount.work: expected an object');
    expect(problem('{"perAccount":{"work":{"5h":0,"perFamily":{"opus":{"7d":1000}}}}}')).toBeNull();
    expect(() => hybridWeightsFrom('2,5,1')).toThrow(/four non-negative numbers/);
    expect(() => hybridBucketFrom('0,6')).toThrow(/capacity,refill per minute/);
    expect(hybridBucketFrom('1000, 60')).toEqual({ bucketCapacity: 1000, bucketRefillPerMin: 60 });
    expect(
      strategyOptionsFrom({ stickyWaitMs: 1000, strategyAffinity: false, hybridWeights: '1,2,3,4' }),
    ).toMatchObject({
      stickyMaxWaitMs: 1000,
      sessionAffinity: false,
      hybridWeights: { health: 1, bucket: 2, quota: 3, rest: 4 },
    });
  });
});

describe('threshold settings in percent (the form the UIs edit)', () => {
  it('turns the edited form into the settings and back, leaving empty entries out', () => {
    const values = thresholdSettingValues({
      global: { '5h': 90, '7d': null },
      perFamily: { opus: { '7d': 50 }, haiku: {} },
      perAccount: { work: { '5h': 80, perFamily: { sonnet: { '7d': 60 } } }, idle: { perFamily: {} } },
    });
    expect(values).toEqual({
      quotaThreshold5h: 90,
      quotaThreshold7d: 0,
      quotaThresholds:
        '{"perFamily":{"opus":{"7d":50}},"perAccount":{"work":{"5h":80,"perFamily":{"sonnet":{"7d":60}}}}}',
    });
    expect(thresholdSettingsOf(values)).toEqual({
      global: { '5h': 90, '7d': null },
      perFamily: { opus: { '7d': 50 } },
      perAccount: { work: { '5h': 80, perFamily: { sonnet: { '7d': 60 } } } },
    });
    // The parsed thresholds are the same as from the environment variables.
    expect(thresholdsFrom(values)?.perAccount?.work).toEqual({
      fiveHour: 0.8,
      sevenDay: null,
      perFamily: { sonnet: { fiveHour: null, sevenDay: 0.6 } },
    });
  });

  it('clears everything to off and an empty document', () => {
    const values = thresholdSettingValues({ global: { '5h': null, '7d': null }, perFamily: {}, perAccount: {} });
    expect(values).toEqual({ quotaThreshold5h: 0, quotaThreshold7d: 0, quotaThresholds: '' });
    expect(thresholdsFrom(values)).toBeNull();
  });
});
