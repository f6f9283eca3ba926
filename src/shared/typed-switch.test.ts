import { describe, expect, it } from 'vitest';
import { typedSwitch } from './typed-switch.js';

describe('typedSwitch', () => {
  it('reads the on and off words in any case, and nothing else', () => {
    for (const w of ['true', '1', 'yes', 'on', 'ON', 'Yes']) expect(typedSwitch(w)).toBe(true);
    for (const w of ['false', '0', 'no', 'off', 'OFF', 'No']) expect(typedSwitch(w)).toBe(false);
    for (const w of ['', 'y', 'enabled', ' on', '2']) expect(typedSwitch(w)).toBeNull();
  });
});
