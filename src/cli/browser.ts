import { spawn } from 'node:child_process';

/**
 * Best effort: the URL is always printed too, so any failure here is ignored. Returns whether a
 * launcher was started.
 */
export function openBrowser(url: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): boolean {
  let cmd: string;
  let args: string[];
  let verbatim = false;
  if (platform === 'darwin') {
    cmd = 'open';
    args = [url];
  } else if (platform === 'win32') {
    // cmd.exe treats & as a command separator; the URL is full of them.
    cmd = 'cmd';
    args = ['/c', 'start', '""', url.replace(/&/g, '^&')];
    verbatim = true;
  } else {
    // A headless machine (SSH, container) has no browser to open; xdg-open would just print noise.
    if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return false;
    cmd = 'xdg-open';
    args = [url];
  }
  try {
    const child = spawn(cmd, args, { detached: true, stdio: 'ignore', windowsVerbatimArguments: verbatim });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}
