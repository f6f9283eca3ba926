/**
 * `store.settings`: runtime settings stored in the database (`config set`, PUT /api/config), so
 * every instance sharing the database uses the same values.
 */
export interface SettingsStore {
  /** Every stored setting, keyed like ConfigValues, values as they were written (JSON). */
  get(): Promise<Record<string, unknown>>;
  /**
   * Writes the given settings in one transaction; a `null` value deletes the stored one, so the
   * setting falls back to the config file or its default.
   */
  put(values: Record<string, unknown>, now: number): Promise<void>;
  /** Monotonic counter bumped by every change to the settings table (any process). */
  revision(): Promise<number>;
}
