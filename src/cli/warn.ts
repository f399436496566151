/**
 * Shows a warning: one line `tandem: warning: MESSAGE` on stderr. Under a parent `tandem serve` (the process
 * has an IPC channel) the line goes to the parent instead, which prints each distinct warning of its children
 * once: both children are given `--workers`, and both would say the same.
 */
export function warn(message: string): void {
  if (process.send !== undefined && process.connected) process.send({ event: 'warning', message });
  else process.stderr.write(`tandem: warning: ${message}\n`);
}
