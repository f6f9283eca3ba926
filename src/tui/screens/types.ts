import type { TuiApi } from '../api.js';

export interface ScreenProps {
  api: TuiApi;
  /** A screen that reads typed text (or shows a detail view) takes the keys the app would use. */
  setModal: (modal: boolean) => void;
  width: number;
  height: number;
  now: () => number;
  openUrl: (url: string) => boolean;
}
